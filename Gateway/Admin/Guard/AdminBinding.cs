using System.Net;
using Microsoft.AspNetCore.Http;

namespace Gateway.Admin.Guard;

/// <summary>Where the admin listener may listen: loopback always; anywhere else only with a token.</summary>
internal static class AdminBinding
{
    /// <summary>Throws <see cref="AdminExposureException"/> naming the address when a non-loopback one has no token.</summary>
    public static void EnsureSafe(IReadOnlyList<string> urls, string? token)
    {
        var exposed = urls.Where(u => !IsLoopback(u)).ToList();
        if (exposed.Count > 0 && string.IsNullOrEmpty(token))
        {
            throw new AdminExposureException(
                $"the admin listener would listen on {string.Join(", ", exposed)}, which is not loopback, without a token. " +
                $"Set a token of at least {AdminGuardOptions.MinimumTokenLength} characters in {AdminGuardOptions.TokenVariable} " +
                "(or LbProxy.Admin.Token in the config file), or keep --admin-urls on 127.0.0.1.");
        }
    }

    public static bool IsLoopback(string url)
    {
        var host = BindingAddress.Parse(url).Host;
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IsLoopback(address));
    }

    public static bool IsLoopback(IPAddress? address) =>
        address is not null && IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
}
