using System.Diagnostics;

namespace Gateway.Tests.Tls;

/// <summary>Runs a real program (curl, openssl, nginx, the launcher) with a time limit and returns its exit code and output; the process is always ended.</summary>
public static class ExternalTool
{
    public static Task<(int ExitCode, string Output)> RunAsync(string program, params string[] arguments) =>
        RunAsync(new Dictionary<string, string>(), program, arguments);

    /// <summary>The same, with <paramref name="environment"/> added to the program's environment.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(IReadOnlyDictionary<string, string> environment, string program,
        params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start (is it installed? .ci/test.sh installs it)");
        process.StandardInput.Close(); // openssl s_client: no input, so it ends after the handshake
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish within 20 s");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
