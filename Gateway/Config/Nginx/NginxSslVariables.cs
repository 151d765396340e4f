using System.Net.Security;
using System.Security.Authentication;
using System.Text;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.AspNetCore.Http;

namespace Gateway.Config.Nginx;

/// <summary>
/// The ssl module's variables nginx users log and pass upstream, read from the connection's TLS handshake: all empty on a
/// plain connection, as in nginx. <c>$ssl_cipher</c> is OpenSSL's name for the suite, as nginx prints it.
/// </summary>
public static class NginxSslVariables
{
    public static readonly IReadOnlySet<string> Names = new HashSet<string>(StringComparer.Ordinal)
    {
        "ssl_protocol", "ssl_cipher", "ssl_server_name", "ssl_alpn_protocol", "ssl_client_verify",
    };

    public static string Get(string name, HttpContext context)
    {
        if (context.Features.Get<ISslStreamFeature>()?.SslStream is not { } tls)
        {
            return "";
        }

        return name switch
        {
            "ssl_protocol" => Protocol(tls.SslProtocol),
            "ssl_cipher" => OpenSslName(tls.NegotiatedCipherSuite),
            "ssl_server_name" => tls.TargetHostName,
            "ssl_alpn_protocol" => Encoding.ASCII.GetString(tls.NegotiatedApplicationProtocol.Protocol.Span),
            "ssl_client_verify" => "NONE", // no client certificate is asked for (ssl_verify_client is not supported)
            _ => "",
        };
    }

    private static string Protocol(SslProtocols protocol) => protocol switch
    {
        SslProtocols.Tls13 => "TLSv1.3",
        SslProtocols.Tls12 => "TLSv1.2",
        _ => protocol.ToString(),
    };

    /// <summary>
    /// OpenSSL's name of a cipher suite from its IANA name: TLS 1.3 suites keep theirs; TLS 1.2 ones drop "TLS_" and
    /// "_WITH_", join with '-', write AES_256_GCM as AES256-GCM and AES_128_CBC as AES128, leave out the plain RSA key
    /// exchange and ChaCha20's hash (TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 is ECDHE-RSA-AES256-GCM-SHA384), with OpenSSL's
    /// few irregular names (anonymous DH as ADH/AECDH, CCM_8 as CCM8, ECDHE-RSA with ARIA as ECDHE-ARIA). Checked against
    /// <c>openssl ciphers -stdname</c> in the tests.
    /// </summary>
    public static string OpenSslName(TlsCipherSuite suite)
    {
        var iana = suite.ToString();
        var with = iana.IndexOf("_WITH_", StringComparison.Ordinal);
        if (!iana.StartsWith("TLS_", StringComparison.Ordinal) || with < 0)
        {
            return iana; // TLS 1.3 (TLS_AES_256_GCM_SHA384) and anything unknown
        }

        var exchange = iana[4..with];
        var cipher = iana[(with + 6)..];
        var prefix = exchange switch
        {
            "RSA" => "",
            "DH_anon" => "ADH-",
            "ECDH_anon" => "AECDH-",
            "ECDHE_RSA" when cipher.StartsWith("ARIA", StringComparison.Ordinal) => "ECDHE-", // OpenSSL's own irregular name
            _ => exchange.Replace('_', '-') + "-",
        };
        if (cipher.StartsWith("CHACHA20_POLY1305", StringComparison.Ordinal))
        {
            return prefix + "CHACHA20-POLY1305";
        }

        var name = new StringBuilder();
        var parts = cipher.Split('_');
        for (var i = 0; i < parts.Length; i++)
        {
            if (parts[i] is "AES" or "CAMELLIA" or "ARIA" && i + 1 < parts.Length && int.TryParse(parts[i + 1], out _))
            {
                name.Append('-').Append(parts[i]).Append(parts[++i]);
            }
            else if (parts[i] == "CCM" && i + 1 < parts.Length && parts[i + 1] == "8")
            {
                name.Append("-CCM8");
                i++;
            }
            else if (parts[i] != "CBC")
            {
                name.Append('-').Append(parts[i]);
            }
        }

        return prefix + name.ToString().TrimStart('-');
    }
}
