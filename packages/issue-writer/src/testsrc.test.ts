import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { extractFailureSection, extractTestSource, parseNodeId, readTestSource } from './testsrc.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));

describe('parseNodeId', () => {
  it('splits file, classes, function and params (params may contain ::)', () => {
    expect(parseNodeId('tests/test_x.py::TestA::TestB::test_y[a::b-1]')).toEqual({ file: 'tests/test_x.py', classes: ['TestA', 'TestB'], func: 'test_y', params: '[a::b-1]' });
    expect(parseNodeId('tests/test_x.py::test_z')).toEqual({ file: 'tests/test_x.py', classes: [], func: 'test_z', params: '' });
    expect(parseNodeId('test_add (tests.test_calc.CalcTest)')).toMatchObject({ file: '', classes: ['CalcTest'], func: 'test_add' });
  });
});

describe('extractTestSource', () => {
  it('reads a method inside its class, dedented', async () => {
    const src = await readTestSource(`${fixtures}repo`, 'tests/test_ops.py::TestAverager::test_mean_of_three');
    expect(src).toBe('def test_mean_of_three(self):\n    avg = Averager().add(1).add(2).add(6)\n    assert avg.mean() == 3');
  });

  it('keeps decorators of a parametrized function and drops the params from the id', async () => {
    const src = await readTestSource(`${fixtures}repo`, 'tests/test_ops.py::test_clamp[-5-0]');
    expect(src?.split('\n')[0]).toBe('@pytest.mark.parametrize("value,expected", [(-5, 0), (5, 5), (50, 10)])');
    expect(src).toContain('assert clamp(value, 0, 10) == expected');
    expect(src).not.toContain('test_clamp_bounds_inclusive');
  });

  it('finds an inherited test defined outside the named class, and returns null when absent', () => {
    const text = 'class Base:\n    def test_shared(self):\n        assert 1\n\n\nclass TestChild(Base):\n    pass\n';
    expect(extractTestSource(text, parseNodeId('t.py::TestChild::test_shared'))).toBe('def test_shared(self):\n    assert 1');
    expect(extractTestSource(text, parseNodeId('t.py::TestChild::test_missing'))).toBeNull();
  });

  it('keeps multi-line strings with shallow indentation inside the test', () => {
    const text = 'class TestX:\n    def test_doc(self):\n        s = """\nline one\n  line two\n"""\n        assert s\n\n    def test_next(self):\n        pass\n';
    expect(extractTestSource(text, parseNodeId('t.py::TestX::test_doc'))).toBe('def test_doc(self):\n    s = """\nline one\n  line two\n"""\n    assert s');
  });
});

describe('extractFailureSection', () => {
  it('cuts one failure out of a real pytest -rA log, for parametrized and class tests', async () => {
    const log = await readFile(`${fixtures}artifacts/calc.00000000.func_pm_op_change__aaaa1111/test_output.txt`, 'utf8');
    const a = extractFailureSection(log, 'tests/test_ops.py::test_clamp[-5-0]')!;
    expect(a).toMatch(/^_+ test_clamp\[-5-0\] _+/);
    expect(a).toContain('assert 10 == 0');
    expect(a).not.toContain('test_mean_of_three');
    expect(a.split('\n').at(-1)).toBe('FAILED tests/test_ops.py::test_clamp[-5-0] - assert 10 == 0');
    const b = extractFailureSection(log, 'tests/test_ops.py::TestAverager::test_mean_of_three')!;
    expect(b).toContain('assert -3.0 == 3');
    expect(b).not.toContain('PASSED tests/');
    expect(extractFailureSection(log, 'tests/test_ops.py::test_clamp_bounds_inclusive')).toBeNull();
  });
});
