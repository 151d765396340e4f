using System.Globalization;
using Gateway.Tls;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Config.Nginx;

/// <summary>
/// A <c>proxy_pass https://</c> cluster's TLS client, on the gateway's upstream TLS (<see cref="UpstreamTls"/>):
/// https destinations; <c>proxy_ssl_verify off</c> (nginx's default) accepts any certificate, <c>on</c> checks the
/// chain against <c>proxy_ssl_trusted_certificate</c> only (nginx loads no system CAs), the name
/// <c>proxy_ssl_name</c> (default $proxy_host) and <c>proxy_ssl_verify_depth</c>; <c>proxy_ssl_certificate</c>/<c>_key</c>
/// is the client certificate.
/// </summary>
internal sealed record NginxUpstreamTls(bool Verify, string? TrustedCertificate, string? Certificate, string? Key, string Name, int VerifyDepth)
{
    public static NginxUpstreamTls For(NginxProxySsl ssl, string proxyHost, string configFolder, NginxDirective proxyPass)
    {
        if (ssl.Certificate is not null && ssl.CertificateKey is null)
        {
            throw new NginxConfigException($"no \"proxy_ssl_certificate_key\" is defined for certificate \"{ssl.Certificate}\"");
        }

        var certificate = ssl.Certificate is null ? null : Path.GetFullPath(ssl.Certificate, configFolder);
        var key = ssl.CertificateKey is null ? null : Path.GetFullPath(ssl.CertificateKey, configFolder);
        if (certificate is not null)
        {
            Loads(certificate, $"cannot load certificate \"{certificate}\": BIO_new_file() failed (No such file or directory)");
            Loads(key!, $"cannot load certificate key \"{key}\": BIO_new_file() failed (No such file or directory)");
        }

        string? trusted = null;
        if (ssl.Verify)
        {
            trusted = ssl.TrustedCertificate is null
                ? throw new NginxConfigException("no proxy_ssl_trusted_certificate for proxy_ssl_verify")
                : Path.GetFullPath(ssl.TrustedCertificate, configFolder);
            Loads(trusted, $"SSL_CTX_load_verify_locations(\"{trusted}\") failed (No such file or directory)");
        }

        var host = proxyHost.StartsWith('[') ? proxyHost[1..proxyHost.IndexOf(']', StringComparison.Ordinal)]
            : proxyHost.Contains(':', StringComparison.Ordinal) ? proxyHost[..proxyHost.LastIndexOf(':')] : proxyHost;
        var name = ssl.Name switch
        {
            null or "$proxy_host" => host,
            var n when n.Contains('$', StringComparison.Ordinal) => throw NginxConfigException.At(proxyPass,
                $"proxy_ssl_name \"{n}\": variables other than $proxy_host are not supported by lbproxy-nginx"),
            var n => n,
        };
        return new NginxUpstreamTls(ssl.Verify, trusted, certificate, key, name, ssl.VerifyDepth);
    }

    /// <summary>The cluster with https destinations and its TLS client settings in metadata.</summary>
    public ClusterConfig Apply(ClusterConfig cluster)
    {
        var metadata = new Dictionary<string, string>(cluster.Metadata ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase)
        {
            [Upstream.UpstreamClientChoice.MetadataKey] = "Sockets", // the lean client speaks http:// only
        };
        if (Verify)
        {
            metadata[UpstreamTls.CaFileKey] = TrustedCertificate!;
            metadata[UpstreamTls.ServerNameKey] = Name;
            metadata[UpstreamTls.VerifyDepthKey] = VerifyDepth.ToString(CultureInfo.InvariantCulture);
        }

        if (Certificate is not null)
        {
            metadata[UpstreamTls.ClientCertificateKey] = Certificate;
            metadata[UpstreamTls.ClientKeyKey] = Key!;
        }

        return cluster with
        {
            Destinations = cluster.Destinations?.ToDictionary(p => p.Key, p => p.Value with { Address = "https" + p.Value.Address[4..] }, StringComparer.OrdinalIgnoreCase),
            HttpClient = (cluster.HttpClient ?? new HttpClientConfig()) with { DangerousAcceptAnyServerCertificate = !Verify },
            Metadata = metadata,
        };
    }

    private static void Loads(string path, string problem)
    {
        if (!File.Exists(path))
        {
            throw new NginxConfigException(problem);
        }
    }
}
