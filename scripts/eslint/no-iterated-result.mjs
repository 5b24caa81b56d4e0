// A neverthrow Result is iterable (for safeTry's `yield*`), so `for (const x of await f())`,
// `[...result]` and `const [a] = result` type-check when f returns a ResultAsync of a list, and
// loop over nothing. Iterating a Result is never what the code means: this rule says so.
import { ESLintUtils } from '@typescript-eslint/utils';

const RESULT_TYPES = new Set(['Ok', 'Err', 'Result', 'ResultAsync']);

function isResultType(type) {
  if (type.isUnion()) return type.types.some((t) => isResultType(t));
  const symbol = type.getSymbol() ?? type.aliasSymbol;
  if (!symbol || !RESULT_TYPES.has(symbol.getName())) return false;
  const declarations = symbol.getDeclarations() ?? [];
  return declarations.some((d) => d.getSourceFile().fileName.includes('neverthrow'));
}

export const noIteratedResult = ESLintUtils.RuleCreator.withoutDocs({
  meta: {
    type: 'problem',
    messages: {
      iterated:
        'This iterates a {{name}} itself, which yields nothing: unwrap it first (isOk() then .value, match, map).',
    },
    schema: [],
  },
  defaultOptions: [],
  create(context) {
    const services = ESLintUtils.getParserServices(context);
    const check = (node, expression) => {
      if (!expression) return;
      const type = services.getTypeAtLocation(expression);
      if (isResultType(type)) {
        const name = type.getSymbol()?.getName() ?? 'Result';
        context.report({ node, messageId: 'iterated', data: { name } });
      }
    };
    return {
      ForOfStatement: (node) => check(node, node.right),
      SpreadElement: (node) => {
        if (node.parent?.type === 'ArrayExpression' || node.parent?.type === 'CallExpression')
          check(node, node.argument);
      },
      VariableDeclarator: (node) => {
        if (node.id.type === 'ArrayPattern') check(node, node.init);
      },
      AssignmentExpression: (node) => {
        if (node.left.type === 'ArrayPattern') check(node, node.right);
      },
    };
  },
});
