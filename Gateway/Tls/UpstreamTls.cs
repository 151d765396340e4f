using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Tls;

/// <summary>
/// TLS to a cluster's https:// destinations, from its Metadata (nginx <c>proxy_ssl_trusted_certificate</c>,
/// <c>proxy_ssl_certificate(_key)</c>; HAProxy <c>server ... ssl ca-file crt</c>): <c>TlsCaFile</c> is a PEM bundle of
/// the CAs to trust in place of the system's, <c>TlsClientCertificate</c> + <c>TlsClientKey</c> a client certificate.
/// The destination's certificate is always verified (chain and name) unless the cluster sets YARP's
/// HttpClient.DangerousAcceptAnyServerCertificate; <c>TlsServerName</c> checks another name than the request's host,
/// <c>TlsVerifyDepth</c> bounds the chain's length. https destinations go through SocketsHttpHandler (the lean client
/// takes http:// only), which YARP's client factory configures and this adds to.
/// </summary>
internal static class UpstreamTls
{
    public const string CaFileKey = "TlsCaFile";
    public const string ClientCertificateKey = "TlsClientCertificate";
    public const string ClientKeyKey = "TlsClientKey";

    /// <summary>The name the destination's certificate must carry, in place of the request's host (nginx <c>proxy_ssl_name</c>).</summary>
    public const string ServerNameKey = "TlsServerName";

    /// <summary>
    /// At most this many intermediate CA certificates between the destination's and the trusted root (OpenSSL's verify
    /// depth, nginx <c>proxy_ssl_verify_depth</c>: 0 = signed by a trusted CA directly); unset = no limit.
    /// </summary>
    public const string VerifyDepthKey = "TlsVerifyDepth";

    private static readonly string[] s_keys = [CaFileKey, ClientCertificateKey, ClientKeyKey, ServerNameKey, VerifyDepthKey];

    /// <summary>The same three settings (YARP reuses a cluster's client only when nothing it was built from changed).</summary>
    public static bool Same(IReadOnlyDictionary<string, string>? a, IReadOnlyDictionary<string, string>? b) =>
        s_keys.All(k => (a?.GetValueOrDefault(k)) == (b?.GetValueOrDefault(k)));

    /// <summary>Relative file paths in the metadata made absolute against the config file's folder.</summary>
    public static ClusterConfig ResolvePaths(ClusterConfig cluster, string baseFolder)
    {
        if (cluster.Metadata is null || !s_keys.Any(cluster.Metadata.ContainsKey))
        {
            return cluster;
        }

        var metadata = cluster.Metadata.ToDictionary(kv => kv.Key, kv => s_keys.Contains(kv.Key) && kv.Value.Length > 0
            ? Path.GetFullPath(kv.Value, baseFolder) : kv.Value, StringComparer.OrdinalIgnoreCase);
        return cluster with { Metadata = metadata };
    }

    public static void Validate(ClusterConfig cluster, string path, Action<string, string, string> report)
    {
        var metadata = cluster.Metadata;
        if (metadata is null)
        {
            return;
        }

        if (metadata.TryGetValue(CaFileKey, out var ca))
        {
            try
            {
                if (LoadBundle(ca).Count == 0)
                {
                    report($"{path}:Metadata:{CaFileKey}", $"cluster '{cluster.ClusterId}' has {CaFileKey} {ca}, which holds no PEM certificate.",
                        "give a PEM file of CA certificates (-----BEGIN CERTIFICATE-----).");
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
            {
                report($"{path}:Metadata:{CaFileKey}", $"cluster '{cluster.ClusterId}' has {CaFileKey} {ca}, which does not load: {ex.Message.TrimEnd('.')}.",
                    "check the path (relative to the config file) and that it is a PEM bundle of CA certificates.");
            }
        }

        if (metadata.TryGetValue(VerifyDepthKey, out var depth) && !(int.TryParse(depth, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var d) && d >= 0))
        {
            report($"{path}:Metadata:{VerifyDepthKey}", $"cluster '{cluster.ClusterId}' has {VerifyDepthKey} '{depth}', which is not a whole number >= 0.",
                "give the most intermediate CA certificates allowed (0: signed by a trusted CA directly), or remove it.");
        }

        if (metadata.TryGetValue(ServerNameKey, out var serverName) && Uri.CheckHostName(serverName) == UriHostNameType.Unknown)
        {
            report($"{path}:Metadata:{ServerNameKey}", $"cluster '{cluster.ClusterId}' has {ServerNameKey} '{serverName}', which is not a host name or address.",
                "give the name the destinations' certificates carry, e.g. \"api.internal\", or remove it to check the request's host.");
        }

        metadata.TryGetValue(ClientCertificateKey, out var certificate);
        metadata.TryGetValue(ClientKeyKey, out var key);
        if (certificate is null != key is null)
        {
            report($"{path}:Metadata:{(certificate is null ? ClientKeyKey : ClientCertificateKey)}",
                $"cluster '{cluster.ClusterId}' sets only one of {ClientCertificateKey} and {ClientKeyKey}.", "set both (PEM certificate and its PEM key), or neither.");
        }
        else if (certificate is not null)
        {
            try
            {
                using var loaded = X509Certificate2.CreateFromPemFile(certificate, key);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
            {
                report($"{path}:Metadata:{ClientCertificateKey}",
                    $"cluster '{cluster.ClusterId}' has client certificate {certificate} with key {key}, which do not load: {ex.Message.TrimEnd('.')}.",
                    "give a PEM certificate and its matching PEM private key (paths relative to the config file).");
            }
        }
    }

    /// <summary>Adds the cluster's CA bundle and client certificate to the handler YARP built for it.</summary>
    public static void Configure(IReadOnlyDictionary<string, string>? metadata, SocketsHttpHandler handler)
    {
        if (metadata is null)
        {
            return;
        }

        if (metadata.TryGetValue(CaFileKey, out var ca))
        {
            // Chain and name are still checked by SslStream; only the roots it trusts change.
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.AddRange(LoadBundle(ca));
            handler.SslOptions.CertificateChainPolicy = policy;
        }

        var name = metadata.GetValueOrDefault(ServerNameKey);
        int? depth = metadata.TryGetValue(VerifyDepthKey, out var text) ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : null;
        if ((name is not null || depth is not null) && handler.SslOptions.RemoteCertificateValidationCallback is null)
        {
            // SslStream checks the name against the connection's host (the upstream request's Host); a configured name
            // replaces that check, and the depth bounds the chain it built (with the CA bundle above when given).
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            {
                if (name is not null)
                {
                    errors &= ~System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch;
                }

                if (errors != System.Net.Security.SslPolicyErrors.None || certificate is not X509Certificate2 leaf)
                {
                    return false;
                }

                return (depth is not { } max || chain is null || chain.ChainElements.Count - 2 <= max) && (name is null || leaf.MatchesHostname(name));
            };
        }

        if (metadata.TryGetValue(ClientCertificateKey, out var certificate) && metadata.TryGetValue(ClientKeyKey, out var key))
        {
            handler.SslOptions.ClientCertificates = [X509Certificate2.CreateFromPemFile(certificate, key)];
        }
    }

    private static X509Certificate2Collection LoadBundle(string path)
    {
        var bundle = new X509Certificate2Collection();
        bundle.ImportFromPemFile(path);
        return bundle;
    }
}
