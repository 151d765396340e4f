using System.Diagnostics;

namespace Gateway.Tests.K8s;

/// <summary>
/// Runs one of the real tools the manifests are checked with (kubectl, node, promtool). A missing tool fails the
/// test with the way to get it: `bash .ci/test.sh` installs every one of them on a fresh Debian machine.
/// </summary>
internal static class Tool
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\n{Output}\n{Error}";
    }

    public static async Task<Result> RunAsync(string program, params string[] args) => await RunInAsync(null, program, args);

    public static async Task<Result> RunInAsync(string? workingDirectory, string program, params string[] args)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Repository.Root,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Assert.Fail($"{program} is not installed ({ex.Message}); `bash .ci/test.sh` installs it (see k8s/README.md).");
            throw;
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within 2 minutes");
            }

            return new Result(process.ExitCode, await output, await error);
        }
    }

    /// <summary>Runs and asserts exit code 0, showing everything the tool said when it is not.</summary>
    public static async Task<string> RunOkAsync(string program, params string[] args)
    {
        var result = await RunAsync(program, args);
        Assert.True(result.ExitCode == 0, $"{program} {string.Join(' ', args)} failed: {result}");
        return result.Output;
    }
}
