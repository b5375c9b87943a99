import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as rds from 'aws-cdk-lib/aws-rds';
import { TunedParameterGroup, TunedParameterGroupProps } from '../../lib';

function parametersOf(props: TunedParameterGroupProps = {}): Record<string, string> {
  const stack = new Stack(new App(), 'Test');
  const group = new TunedParameterGroup(stack, 'Group', props);
  // A parameter group is rendered only once something uses it.
  group.bindToInstance({});
  const groups = Template.fromStack(stack).findResources('AWS::RDS::DBParameterGroup');
  expect(Object.keys(groups)).toHaveLength(1);
  return Object.values(groups)[0].Properties.Parameters;
}

describe('TunedParameterGroup', () => {
  test('sets the playbook values (DESIGN.md) in RDS units', () => {
    expect(parametersOf()).toEqual({
      autovacuum_vacuum_scale_factor: '0.05',
      autovacuum_analyze_scale_factor: '0.02',
      autovacuum_vacuum_insert_scale_factor: '0.05',
      autovacuum_vacuum_cost_limit: '2000',
      autovacuum_naptime: '15',
      log_autovacuum_min_duration: '1000',
      log_min_duration_statement: '5000',
      shared_preload_libraries: 'pg_stat_statements,auto_explain',
      'auto_explain.log_min_duration': '5000',
      // Rotations' ALTER USER ... PASSWORD statements stay out of pg_stat_statements (the monitoring user reads it).
      'pg_stat_statements.track_utility': '0',
      track_io_timing: '1',
      random_page_cost: '1.1',
      log_lock_waits: '1',
      log_temp_files: '10240',
      idle_in_transaction_session_timeout: '300000',
      max_slot_wal_keep_size: '20480',
      'rds.force_ssl': '1',
    });
  });

  test('belongs to the postgres17 family by default and follows engineVersion', () => {
    const stack = new Stack(new App(), 'Test');
    new TunedParameterGroup(stack, 'Default').bindToInstance({});
    new TunedParameterGroup(stack, 'Sixteen', { engineVersion: rds.PostgresEngineVersion.VER_16_4 }).bindToInstance({});
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', { Family: 'postgres17' });
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', { Family: 'postgres16' });
  });

  test('has no fixed name, so a family change replaces it without a name clash', () => {
    const stack = new Stack(new App(), 'Test');
    new TunedParameterGroup(stack, 'Group').bindToInstance({});
    Template.fromStack(stack).hasResourceProperties('AWS::RDS::DBParameterGroup', { DBParameterGroupName: Match.absent() });
  });

  test('merges user overrides over the defaults', () => {
    const params = parametersOf({ parameters: { log_min_duration_statement: '2000', work_mem: '65536' } });
    expect(params.log_min_duration_statement).toBe('2000');
    expect(params.work_mem).toBe('65536');
    expect(params.autovacuum_vacuum_scale_factor).toBe('0.05');
  });

  test('lets a user remove a default', () => {
    const params = parametersOf({ removeDefaults: ['max_slot_wal_keep_size', 'random_page_cost'] });
    expect(params).not.toHaveProperty('max_slot_wal_keep_size');
    expect(params).not.toHaveProperty('random_page_cost');
    expect(params.autovacuum_naptime).toBe('15');
  });

  test('reports its effective parameters and which defaults are static', () => {
    const stack = new Stack(new App(), 'Test');
    const group = new TunedParameterGroup(stack, 'Group', { parameters: { work_mem: '4096' }, removeDefaults: ['log_lock_waits'] });
    expect(group.effectiveParameters.work_mem).toBe('4096');
    expect(group.effectiveParameters).not.toHaveProperty('log_lock_waits');
    expect(TunedParameterGroup.staticParameterNames()).toEqual(['shared_preload_libraries']);
  });

  test('fails when removeDefaults names something that is not a default', () => {
    expect(() => parametersOf({ removeDefaults: ['work_mem'] }))
      .toThrow(/removeDefaults names 'work_mem', which is not a playbook default; allowed: autovacuum_vacuum_scale_factor/);
  });

  test('fails when a parameter is both removed and overridden', () => {
    expect(() => parametersOf({ removeDefaults: ['autovacuum_naptime'], parameters: { autovacuum_naptime: '30' } }))
      .toThrow(/'autovacuum_naptime' is both in removeDefaults and in parameters/);
  });

  test('fails when a parameter name is malformed', () => {
    expect(() => parametersOf({ parameters: { 'Work-Mem': '1' } })).toThrow(/parameters has an invalid name 'Work-Mem'/);
  });

  test('fails when a parameter value is empty', () => {
    expect(() => parametersOf({ parameters: { work_mem: ' ' } })).toThrow(/parameters.work_mem must be a non-empty string \(got " "\)/);
  });
});
