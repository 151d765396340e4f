using System.Diagnostics;

namespace Benchmarks.ProxyCost;

/// <summary>Starts a proxy process with extra environment variables (the gateway's upstream client and scheduling knobs).</summary>
internal static class ProxyProcess
{
    public static Process Start(IReadOnlyDictionary<string, string> environment, string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        var process = Process.Start(info)!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        return process;
    }
}
