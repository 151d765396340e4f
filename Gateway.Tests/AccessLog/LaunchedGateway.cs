using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Gateway.Tests.AccessLog;

/// <summary>
/// The gateway as its own process (<c>dotnet Gateway.dll --config FILE</c>, OS-chosen ports), for what only a real
/// process shows: signals, start-up failures. Ready once it printed its banner; killed on dispose.
/// </summary>
public sealed partial class LaunchedGateway : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output;

    private LaunchedGateway(Process process, StringBuilder output)
    {
        _process = process;
        _output = output;
    }

    public int Pid => _process.Id;

    public Uri? Proxy { get; private set; }

    public Uri? Admin { get; private set; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    [GeneratedRegex(@"^  proxy   (http://\S+?)(,|$)", RegexOptions.Multiline)]
    private static partial Regex ProxyLine();

    [GeneratedRegex(@"^  admin   (http://\S+?)/ ", RegexOptions.Multiline)]
    private static partial Regex AdminLine();

    /// <summary>Starts it and waits for its banner, or for it to exit (then <see cref="HasExited"/> and <see cref="Output"/> say why).</summary>
    public static async Task<LaunchedGateway> StartAsync(string configPath, IReadOnlyDictionary<string, string>? environment = null,
        string adminUrls = "http://127.0.0.1:0")
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "Gateway.dll"), "--config", configPath,
                     "--urls", "http://127.0.0.1:0", "--admin-urls", adminUrls })
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var output = new StringBuilder();
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var gateway = new LaunchedGateway(process, output);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!process.HasExited && DateTime.UtcNow < deadline)
        {
            var text = gateway.Output;
            if (ProxyLine().Match(text) is { Success: true } proxy && AdminLine().Match(text) is { Success: true } admin)
            {
                gateway.Proxy = new Uri(proxy.Groups[1].Value);
                gateway.Admin = new Uri(admin.Groups[1].Value);
                return gateway;
            }

            await Task.Delay(25);
        }

        if (!process.HasExited)
        {
            await gateway.DisposeAsync();
            throw new InvalidOperationException($"the gateway printed no banner in 30 s: {gateway.Output}");
        }

        await process.WaitForExitAsync();
        return gateway;
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Sends a real signal (kill -SIGNAL PID).</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
