/** Wrapping and colour for the terminal (cli/terminal.ts). */
import { colorEnabled, paint, terminalColumns, wrapCommandText, wrapText } from '../../cli/terminal';

/** A wrapped text joined back as a shell reads it (` \` + newline + indent) and as prose reads it (newline + indent). */
const joined = (text: string) => text.replace(/ \\\n */g, ' ').replace(/\n */g, ' ');

describe('wrapText', () => {
  test('breaks at spaces within the width, indenting the continuation', () => {
    expect(wrapText('one two three four five six', 14, '> ', '  ')).toBe('> one two\n  three four\n  five six');
  });

  test('a word longer than the line keeps a line of its own', () => {
    expect(wrapText('see arn:aws:kms:us-east-1:123456789012:key/1234 now', 20)).toBe('see\narn:aws:kms:us-east-1:123456789012:key/1234\nnow');
  });
});

describe('wrapCommandText', () => {
  const fix = 'aws rds modify-db-instance --region us-east-1 --db-instance-identifier prod-db --multi-az --apply-immediately (library: PostgresDatabase multiAz, on in production)';

  test('breaks a command only before an option, with a shell line continuation, and the prose after it anywhere', () => {
    const text = wrapCommandText(`fix: ${fix}`, 60, '  ', '       ');
    expect(text).toBe([
      '  fix: aws rds modify-db-instance --region us-east-1 \\',
      '       --db-instance-identifier prod-db --multi-az \\',
      '       --apply-immediately (library: PostgresDatabase',
      '       multiAz, on in production)',
    ].join('\n'));
    expect(joined(text)).toBe(`  fix: ${fix}`);
  });

  test('never breaks inside quotes; an apostrophe in prose is not a quote', () => {
    const text = "create the playbook's group and `aws rds modify-db-parameter-group --parameters \"ParameterName=a b,ParameterValue=1\" \"ParameterName=c,ParameterValue='x,y'\"`, then reboot";
    const wrapped = wrapCommandText(text, 40);
    for (const line of wrapped.split('\n')) expect((line.match(/"/g) ?? []).length % 2).toBe(0);
    expect(wrapped.split('\n')[0]).toBe("create the playbook's group and");
    expect(joined(wrapped)).toBe(text);
  });

  test('an option and its value that do not fit on one line break between them', () => {
    const text = wrapCommandText('aws s3api put-bucket-replication --bucket b --replication-configuration file://replication.json', 40);
    expect(text.split('\n').every((l) => l.length <= 40)).toBe(true);
    expect(joined(text)).toBe('aws s3api put-bucket-replication --bucket b --replication-configuration file://replication.json');
  });
});

test('colour only on a terminal, never with NO_COLOR (unless empty)', () => {
  expect(colorEnabled({ isTty: true, env: {} })).toBe(true);
  expect(colorEnabled({ isTty: false, env: {} })).toBe(false);
  expect(colorEnabled({ isTty: true, env: { NO_COLOR: '1' } })).toBe(false);
  expect(colorEnabled({ isTty: true, env: { NO_COLOR: '' } })).toBe(true);
  expect(paint('FAIL', 'red', true)).toBe('\u001b[31mFAIL\u001b[0m');
  expect(paint('WARN', 'yellow', false)).toBe('WARN');
});

test('the width: the terminal\'s, else COLUMNS, else 100', () => {
  expect(terminalColumns(true, 132, { COLUMNS: '80' })).toBe(132);
  expect(terminalColumns(false, undefined, { COLUMNS: '80' })).toBe(80);
  expect(terminalColumns(false, undefined, {})).toBe(100);
  expect(terminalColumns(false, undefined, { COLUMNS: 'wide' })).toBe(100);
});
