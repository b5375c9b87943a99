/** Wrapping, colour and control characters for the terminal (cli/terminal.ts), and the writer that guards stdout and stderr (cli/output.ts). */
import { PassThrough } from 'stream';
import { quietWriter } from '../../cli/output';
import { colorEnabled, paint, printable, terminalColumns, terminalSafe, wrapCommandText, wrapText } from '../../cli/terminal';

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

describe('control characters', () => {
  // An OSC 52 clipboard write, a screen clear, a cursor move, an 8-bit CSI, BEL, a bidi override.
  const hostile = 'web\u001b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\u0007\u001b[2J\u001b[1;1H\u009b31m\u202eevil\r\nx\tdel\u007f';

  test('printable: every one shown as its \\uXXXX escape, newlines and tabs too, the rest unchanged', () => {
    expect(printable(hostile)).toBe('web\\u001b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\\u0007\\u001b[2J\\u001b[1;1H\\u009b31m\\u202eevil\\u000d\\u000ax\\u0009del\\u007f');
    expect(printable('naïve café, 東京, emoji 👍')).toBe('naïve café, 東京, emoji 👍');
    // A tag character (invisible, outside the BMP): both UTF-16 units escaped.
    expect(printable('a\u{E0041}b')).toBe('a\\udb40\\udc41b');
  });

  test('printable: the same text twice is still the same (no escape of an escape)', () => {
    expect(printable(printable(hostile))).toBe(printable(hostile));
  });

  test('terminalSafe: newlines, tabs, carriage returns and paint\'s colours pass; any other sequence is escaped', () => {
    expect(terminalSafe(`${paint('FAIL', 'red', true)} a\tb\r\n`)).toBe('\u001b[31mFAIL\u001b[0m a\tb\r\n');
    expect(terminalSafe('\u001b[2J\u001b]0;title\u0007\u009b1m')).toBe('\\u001b[2J\\u001b]0;title\\u0007\\u009b1m');
  });

  test('terminalSafe on JSON: the document parses to the same values', () => {
    const doc = { applicationName: hostile, query: 'SELECT 1 -- \u2066\u0085' };
    const safe = terminalSafe(JSON.stringify(doc, null, 2));
    expect(safe).not.toMatch(/[\u007f-\u009f\u2066\u202e]/);
    expect(JSON.parse(safe)).toEqual(doc);
  });

  test('quietWriter (cli/output.ts) writes what terminalSafe makes of the text', () => {
    const stream = new PassThrough();
    const write = quietWriter(stream);
    write('app \u001b]0;pwned\u0007\u009b2J\n');
    expect(stream.read().toString()).toBe('app \\u001b]0;pwned\\u0007\\u009b2J\n');
  });
});
