// A neverthrow Result (or ResultAsync) computed as a bare statement and then dropped is a
// failure nobody looks at. eslint-plugin-neverthrow does this job but does not load on
// ESLint 10 (it reads the removed `context.parserServices`), so this is the same check
// written against typescript-eslint's type information.
import { ESLintUtils } from '@typescript-eslint/utils';

const RESULT_TYPES = new Set(['Ok', 'Err', 'Result', 'ResultAsync']);

function isResultType(type, checker) {
  if (type.isUnion()) return type.types.some((t) => isResultType(t, checker));
  const symbol = type.getSymbol() ?? type.aliasSymbol;
  if (!symbol || !RESULT_TYPES.has(symbol.getName())) return false;
  const declarations = symbol.getDeclarations() ?? [];
  return declarations.some((d) => d.getSourceFile().fileName.includes('neverthrow'));
}

export const mustUseResult = ESLintUtils.RuleCreator.withoutDocs({
  meta: {
    type: 'problem',
    messages: {
      unused:
        'This {{name}} is dropped: handle it (match, map, andThen, isErr …), return it, or `void` it on purpose.',
    },
    schema: [],
  },
  defaultOptions: [],
  create(context) {
    const services = ESLintUtils.getParserServices(context);
    const checker = services.program.getTypeChecker();
    return {
      ExpressionStatement(node) {
        let expression = node.expression;
        if (expression.type === 'UnaryExpression' && expression.operator === 'void') return;
        // `result = await next()` keeps the Result in a variable: that is handling it.
        if (expression.type === 'AssignmentExpression') return;
        if (expression.type === 'AwaitExpression') expression = expression.argument;
        const type = services.getTypeAtLocation(expression);
        const awaited =
          node.expression.type === 'AwaitExpression'
            ? (checker.getAwaitedType(type) ?? type)
            : type;
        if (isResultType(awaited, checker)) {
          const name = awaited.getSymbol()?.getName() ?? 'Result';
          context.report({ node, messageId: 'unused', data: { name } });
        }
      },
    };
  },
});
