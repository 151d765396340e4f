using Gateway.Tests.Tls;

namespace Gateway.Tests.NginxCompat;

/// <summary><c>-t</c> on one config file under real nginx and under the launcher, and the [emerg] message of an output.</summary>
internal static class NginxConfigTest
{
    public static async Task<((int Code, string Output) Nginx, (int Code, string Output) Ours)> RunBothAsync(string prefix, string conf) =>
        (await ExternalTool.RunAsync(ProxyProcess.NginxBinary, "-t", "-p", prefix, "-c", conf),
            await ExternalTool.RunAsync(ProxyProcess.Launcher, "-t", "-p", prefix, "-c", conf));

    /// <summary>The [emerg] message without the time and pid#tid that start nginx's error-log line.</summary>
    public static string Emerg(string output) =>
        System.Text.RegularExpressions.Regex.Match(output, @"\[emerg\] \d+#\d+: (.*)") is { Success: true } m ? m.Groups[1].Value.Trim()
            : $"(no [emerg] line in: {output})";
}
