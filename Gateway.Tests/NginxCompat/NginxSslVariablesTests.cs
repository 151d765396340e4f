using System.Net.Security;
using Gateway.Config.Nginx;
using Gateway.Tests.Tls;

namespace Gateway.Tests.NginxCompat;

/// <summary>$ssl_cipher prints OpenSSL's name of the suite, as nginx does: every suite this OpenSSL knows that nginx can negotiate.</summary>
public sealed class NginxSslVariablesTests
{
    [Fact]
    public async Task OpenSslName_EverySuiteOpenSslLists_SameNameAsOpenSsl()
    {
        var (exit, output) = await ExternalTool.RunAsync("openssl", "ciphers", "-stdname", "ALL:COMPLEMENTOFALL");
        Assert.True(exit == 0, $"openssl ciphers failed ({exit}): {output}");
        var compared = 0;
        var wrong = new List<string>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries); // IANA - OPENSSL TLSvX ...
            // PSK and SRP suites need keys nginx's http ssl module has no directive for, so it never negotiates them.
            if (fields.Length < 3 || fields[0].Contains("PSK", StringComparison.Ordinal) || fields[0].Contains("_SRP_", StringComparison.Ordinal)
                || !Enum.TryParse<TlsCipherSuite>(fields[0], out var suite))
            {
                continue;
            }

            if (NginxSslVariables.OpenSslName(suite) is var name && name != fields[2])
            {
                wrong.Add($"{fields[0]}: {name}, OpenSSL {fields[2]}");
            }

            compared++;
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
        Assert.True(compared > 50, $"only {compared} suites compared:\n{output}");
    }
}
