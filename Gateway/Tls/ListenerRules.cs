using System.Security.Cryptography;

namespace Gateway.Tls;

/// <summary>
/// Checks <c>LbProxy.Listeners</c> and resolves certificate paths against the config file's folder. Every certificate
/// pair is loaded here, so a wrong path, a key that does not match its certificate or a file that is not PEM is an
/// error at the config file's line, before anything listens.
/// </summary>
internal static class ListenerRules
{
    private static readonly string[] s_httpProtocols = ["Http1", "Http2", "Http1AndHttp2"];

    public static IReadOnlyList<ListenerOptions> Bind(IReadOnlyList<ListenerOptions>? section, string baseFolder, string path,
        Action<string, string, string> report)
    {
        var result = new List<ListenerOptions>();
        for (var i = 0; i < (section?.Count ?? 0); i++)
        {
            var at = $"{path}:{i}";
            var listener = section![i];
            if (listener is null)
            {
                report(at, $"LbProxy.Listeners[{i}] is null.", "write { \"Url\": \"https://0.0.0.0:8443\", \"Certificates\": [ { \"Certificate\": \"cert.pem\", \"Key\": \"key.pem\" } ] }.");
                continue;
            }

            var errors = 0;
            void Report(string name, string problem, string fix)
            {
                errors++;
                report(name.Length == 0 ? at : $"{at}:{name}", $"LbProxy.Listeners[{i}]{(name.Length == 0 ? "" : "." + name.Replace(':', '.'))} {problem}", fix);
            }

            if (!ListenerAddress.TryParse(listener.Url, out var address, out var urlProblem))
            {
                Report("Url", $"is '{listener.Url}': {urlProblem}.", "write \"Url\": \"https://0.0.0.0:8443\" (or http://, an IP address, localhost or *).");
                continue;
            }

            if (listener.HttpProtocols is { } http && !s_httpProtocols.Contains(http, StringComparer.OrdinalIgnoreCase))
            {
                Report("HttpProtocols", $"is '{http}'.", $"use one of {string.Join(", ", s_httpProtocols)}, or remove it for the default.");
            }

            if (!(listener.CertificateCheckSeconds >= 0.1))
            {
                Report("CertificateCheckSeconds", $"is {listener.CertificateCheckSeconds}; it must be at least 0.1 seconds.", "set it to 2, or remove it for the default.");
            }

            var unknown = listener.TlsProtocols.Where(p => p is not (ListenerOptions.Tls12 or ListenerOptions.Tls13)).ToList();
            if (unknown.Count > 0 || listener.TlsProtocols.Count == 0)
            {
                Report("TlsProtocols", $"is [{string.Join(", ", listener.TlsProtocols)}]; TLS 1.2 and 1.3 are the versions offered (1.0 and 1.1 are broken).",
                    "use [\"Tls12\", \"Tls13\"] or [\"Tls13\"], or remove it for both.");
            }

            if (!address.Https)
            {
                if (listener.Certificates.Count > 0)
                {
                    Report("Certificates", "are set on an http:// listener, which does not use them.", "change the Url to https://, or remove the certificates.");
                }

                if (errors == 0)
                {
                    result.Add(listener);
                }

                continue;
            }

            if (listener.Certificates.Count == 0)
            {
                Report("Url", "is https but the listener has no certificate.",
                    "add \"Certificates\": [ { \"Certificate\": \"cert.pem\", \"Key\": \"key.pem\" } ] (PEM files, paths relative to this config file).");
                continue;
            }

            var certificates = new List<CertificateOptions>();
            for (var c = 0; c < listener.Certificates.Count; c++)
            {
                if (Resolve(listener.Certificates[c], baseFolder, $"Certificates:{c}", Report) is { } resolved)
                {
                    certificates.Add(resolved);
                }
            }

            if (errors == 0)
            {
                result.Add(listener with { Certificates = certificates });
            }
        }

        return result;
    }

    /// <summary>The same listeners (a change of listeners needs a restart; their certificate files do not).</summary>
    public static bool Same(IReadOnlyList<ListenerOptions> a, IReadOnlyList<ListenerOptions> b) =>
        System.Text.Json.JsonSerializer.Serialize(a) == System.Text.Json.JsonSerializer.Serialize(b);

    private static CertificateOptions? Resolve(CertificateOptions? certificate, string baseFolder, string at, Action<string, string, string> report)
    {
        if (certificate is null || certificate.Certificate.Length == 0 || certificate.Key.Length == 0)
        {
            report(at, "needs both a Certificate and a Key file.", "write { \"Certificate\": \"cert.pem\", \"Key\": \"key.pem\" } (PEM files).");
            return null;
        }

        var resolved = certificate with
        {
            Certificate = Path.GetFullPath(certificate.Certificate, baseFolder),
            Key = Path.GetFullPath(certificate.Key, baseFolder),
        };
        foreach (var (name, file) in new[] { ("Certificate", resolved.Certificate), ("Key", resolved.Key) })
        {
            if (!File.Exists(file))
            {
                report($"{at}:{name}", $"names {file}, which does not exist.", "check the path (relative paths start at the config file's folder).");
                return null;
            }
        }

        foreach (var host in certificate.Hosts)
        {
            var name = host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host;
            if (Uri.CheckHostName(name) != UriHostNameType.Dns)
            {
                report($"{at}:Hosts", $"has '{host}', which is not a host name or *.domain.", "list SNI names such as \"api.example.com\" or \"*.example.com\".");
                return null;
            }
        }

        try
        {
            using var loaded = LoadedCertificate.Load(resolved).Leaf;
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
        {
            report($"{at}:Certificate", $"does not load from {resolved.Certificate} with key {resolved.Key}: {ex.Message.TrimEnd('.')}.",
                "give a PEM certificate (BEGIN CERTIFICATE, then any intermediates) and its PEM private key (BEGIN PRIVATE KEY / RSA / EC PRIVATE KEY).");
            return null;
        }

        return resolved;
    }
}
