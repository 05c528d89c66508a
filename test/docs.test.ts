// Documentation is part of the API: every exported function, class, method
// and property has a doc comment, every module says what it is for, and
// every error code is listed in docs/errors.md.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import ts from 'typescript';
import { ErrorCode } from '../src/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

it('every error code is listed in docs/errors.md', () => {
  const doc = readFileSync(`${root}docs/errors.md`, 'utf8');
  const missing = Object.values(ErrorCode).filter((code) => !doc.includes(`\`${code}\``));
  assert.deepEqual(missing, []);
});

it('every public export and its public members have a doc comment', () => {
  const program = ts.createProgram([`${root}src/index.ts`], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true });
  const checker = program.getTypeChecker();
  const index = program.getSourceFile(`${root}src/index.ts`)!;
  const undocumented: string[] = [];
  const documented = (s: ts.Symbol): boolean => s.getDocumentationComment(checker).length > 0 || s.getJsDocTags(checker).length > 0;
  for (const exp of checker.getExportsOfModule(checker.getSymbolAtLocation(index)!)) {
    const sym = exp.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exp) : exp;
    if (!documented(sym)) undocumented.push(exp.name);
    if (!(sym.flags & ts.SymbolFlags.Class)) continue;
    const decl = sym.declarations?.find(ts.isClassDeclaration);
    for (const member of decl?.members ?? []) {
      const name = member.name && ts.isIdentifier(member.name) ? member.name.text : undefined;
      if (name === undefined || name.startsWith('_')) continue; // stream internals (_read, _write...)
      const mods = ts.getCombinedModifierFlags(member as ts.Declaration);
      if (mods & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
      if (ts.getJSDocTags(member).some((t) => t.tagName.text === 'internal')) continue;
      const msym = (member as ts.NamedDeclaration).name ? checker.getSymbolAtLocation((member as ts.NamedDeclaration).name!) : undefined;
      // An override documented in its base class counts.
      if (msym !== undefined && !documented(msym) && !(mods & ts.ModifierFlags.Override)) undocumented.push(`${exp.name}.${name}`);
    }
  }
  assert.deepEqual(undocumented, []);
});

it('every module says what it is for (a @module comment)', () => {
  const program = ts.createProgram([`${root}src/index.ts`], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext });
  const missing = program
    .getSourceFiles()
    .filter((f) => f.fileName.startsWith(`${root}src/`) && !f.fileName.includes('/internal/'))
    .filter((f) => !/@module/.test(f.text.slice(0, 4000)))
    .map((f) => f.fileName.slice(root.length));
  assert.deepEqual(missing, []);
});
