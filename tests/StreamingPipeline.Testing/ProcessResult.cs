namespace StreamingPipeline.Testing;

/// <summary>How a child process that ran to completion ended: its exit code, standard output and standard error.</summary>
public sealed record ProcessResult(int ExitCode, string Output, string Error);
