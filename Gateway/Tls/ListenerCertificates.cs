namespace Gateway.Tls;

/// <summary>The certificate stores of the running https listeners (one per listener), for Kestrel's handshakes and the watcher.</summary>
internal sealed class ListenerCertificates(IReadOnlyList<CertificateStore> stores)
{
    public IReadOnlyList<CertificateStore> Stores { get; } = stores;
}
