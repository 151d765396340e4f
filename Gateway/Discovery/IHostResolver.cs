namespace Gateway.Discovery;

/// <summary>The DNS lookup DNS discovery makes: a seam so tests answer without a DNS server.</summary>
public interface IHostResolver
{
    /// <summary>Every A and AAAA record of <paramref name="host"/>.</summary>
    Task<System.Net.IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);
}
