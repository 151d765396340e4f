namespace Benchmarks.Local;

/// <summary>
/// What a gateway process started on port 0 says about its ports: its start banner (Gateway/Banner.cs) has the lines
/// "  proxy   URL[, URL]" and "  admin   URL/ (status page) ...", printed once both listeners are bound (and a local
/// fleet is ready). Harnesses start the gateway with <see cref="PortZeroArgs"/> and read them, so no port is picked
/// before the gateway binds it.
/// </summary>
internal static class GatewayBanner
{
    public const string ProxyPrefix = "  proxy   ";
    public const string AdminPrefix = "  admin   ";

    /// <summary>The gateway binds free loopback ports for both listeners itself.</summary>
    public static readonly string[] PortZeroArgs = ["--urls", "http://127.0.0.1:0", "--admin-urls", "http://127.0.0.1:0"];

    /// <summary>The first proxy URL on a "  proxy   " line, else null.</summary>
    public static Uri? Proxy(string line) =>
        line.StartsWith(ProxyPrefix, StringComparison.Ordinal) ? new Uri(line[ProxyPrefix.Length..].Split(',')[0].Trim()) : null;

    /// <summary>The admin URL on an "  admin   " line, else null.</summary>
    public static Uri? Admin(string line) =>
        line.StartsWith(AdminPrefix, StringComparison.Ordinal) ? new Uri(line[AdminPrefix.Length..].Split(' ')[0].TrimEnd('/')) : null;

    /// <summary>Both URLs from <paramref name="gateway"/>'s banner; fails with its output when it exits first or takes longer than <paramref name="timeout"/>.</summary>
    public static async Task<(Uri Proxy, Uri Admin)> ReadAsync(WatchedProcess gateway, TimeSpan timeout)
    {
        var proxy = Proxy(await gateway.WaitForLineAsync(l => Proxy(l) is not null, timeout))!;
        var admin = Admin(await gateway.WaitForLineAsync(l => Admin(l) is not null, timeout))!;
        return (proxy, admin);
    }
}
