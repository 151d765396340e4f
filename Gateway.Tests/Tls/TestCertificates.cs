using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.Tests.Tls;

/// <summary>A throw-away CA and the certificates it signs, made with CertificateRequest and written as PEM files.</summary>
public sealed class TestCertificates : IDisposable
{
    private TestCertificates(string folder, X509Certificate2 ca)
    {
        Folder = folder;
        Ca = ca;
        CaPath = Path.Combine(folder, "ca.pem");
        File.WriteAllText(CaPath, ca.ExportCertificatePem());
    }

    public string Folder { get; }

    public X509Certificate2 Ca { get; }

    /// <summary>The CA certificate as a PEM bundle (curl --cacert, Metadata TlsCaFile).</summary>
    public string CaPath { get; }

    public static TestCertificates Create(string name = "LbProxy Test CA")
    {
        var folder = Directory.CreateTempSubdirectory("lbproxy-tls-").FullName;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return new TestCertificates(folder, ca);
    }

    /// <summary>A leaf for <paramref name="dnsNames"/> (server and client auth), written as FILE.pem and FILE.key; returns both paths.</summary>
    public (string Certificate, string Key) Issue(string file, string commonName, params string[] dnsNames)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var dns in dnsNames)
        {
            names.AddDnsName(dns);
        }

        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7f;
        using var leaf = request.Create(Ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10), serial);
        var certificatePath = Path.Combine(Folder, file + ".pem");
        var keyPath = Path.Combine(Folder, file + ".key");
        // Written beside and renamed into place, as certbot and Kubernetes do: a reader never sees half a file.
        WriteAtomically(certificatePath, leaf.ExportCertificatePem());
        WriteAtomically(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }

    public void Dispose()
    {
        Ca.Dispose();
        Directory.Delete(Folder, recursive: true);
    }

    private static void WriteAtomically(string path, string text)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }
}
