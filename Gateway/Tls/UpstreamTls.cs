using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Tls;

/// <summary>
/// TLS to a cluster's https:// destinations, from its Metadata (nginx <c>proxy_ssl_trusted_certificate</c>,
/// <c>proxy_ssl_certificate(_key)</c>; HAProxy <c>server ... ssl ca-file crt</c>): <c>TlsCaFile</c> is a PEM bundle of
/// the CAs to trust in place of the system's, <c>TlsClientCertificate</c> + <c>TlsClientKey</c> a client certificate.
/// The destination's certificate is always verified (chain and name) unless the cluster sets YARP's
/// HttpClient.DangerousAcceptAnyServerCertificate. https destinations go through SocketsHttpHandler (the lean client
/// takes http:// only), which YARP's client factory configures and this adds to.
/// </summary>
internal static class UpstreamTls
{
    public const string CaFileKey = "TlsCaFile";
    public const string ClientCertificateKey = "TlsClientCertificate";
    public const string ClientKeyKey = "TlsClientKey";

    private static readonly string[] s_keys = [CaFileKey, ClientCertificateKey, ClientKeyKey];

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
