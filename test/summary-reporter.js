// Prints one plain closing line, `jest: N passed, N failed, N skipped`, after
// Jest's own summary, so tools that read a run's last line get the counts.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = results;
    const line = `jest: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests + numTodoTests} skipped`;
    // Jest prints its own summary after the reporters; the process exit comes last.
    process.once('exit', () => process.stdout.write(`\n${line}\n`));
  }
}

module.exports = SummaryReporter;
