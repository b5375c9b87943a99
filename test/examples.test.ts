import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ExistingAppStack } from '../examples/existing-app/app';
import { ROOT } from './support/app';

/** The lines between `// <readme:NAME>` and `// </readme:NAME>`, without their indentation. */
function markedSnippet(file: string, name: string): string {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const match = text.match(new RegExp(`// <readme:${name}>\\n([\\s\\S]*?)\\n\\s*// </readme:${name}>`));
  if (!match) throw new Error(`${file} has no readme:${name} markers`);
  const lines = match[1].split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.match(/^ */)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

describe('examples/existing-app', () => {
  test('README shows exactly the type-checked snippet of the example', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('```ts\n' + markedSnippet('examples/existing-app/app.ts', 'existing-app') + '\n```');
  });

  test('synthesizes with the app\'s own VPC and key, and wires the function in', () => {
    const stack = new ExistingAppStack(new App(), 'ExistingApp');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::RDS::DBInstance', { DBName: 'orders', Port: '5433', StorageEncrypted: true });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 5433, ToPort: 5433 });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { DB_PORT: '5433' } } });
  });
});
