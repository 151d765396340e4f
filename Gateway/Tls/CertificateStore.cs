using Microsoft.Extensions.Logging;

namespace Gateway.Tls;

/// <summary>
/// The live certificates of one https listener. Handshakes read <see cref="Current"/> (a volatile snapshot, no lock);
/// <see cref="CheckForChanges"/> re-reads every pair when one of its files changed on disk and publishes the new set only
/// when every pair loads, so a half-written file (a key before its certificate) keeps the old set until both are there.
/// </summary>
internal sealed partial class CertificateStore
{
    private readonly ListenerOptions _listener;
    private readonly ILogger _logger;
    private volatile CertificateSet _current;
    private (long Length, DateTime Written)[] _fingerprints;
    private string? _lastError;

    /// <summary>Loads every pair now; throws when one does not load (start-up has validated them already).</summary>
    public CertificateStore(ListenerOptions listener, ILogger logger)
    {
        _listener = listener;
        _logger = logger;
        _fingerprints = Fingerprints();
        _current = new CertificateSet([.. listener.Certificates.Select(LoadedCertificate.Load)]);
    }

    public ListenerOptions Listener => _listener;

    public CertificateSet Current => _current;

    /// <summary>How many times a changed certificate was loaded and put in service.</summary>
    public int Reloads { get; private set; }

    public void CheckForChanges()
    {
        var now = Fingerprints();
        if (now.SequenceEqual(_fingerprints))
        {
            return;
        }

        try
        {
            var set = new CertificateSet([.. _listener.Certificates.Select(LoadedCertificate.Load)]);
            _current = set;
            _fingerprints = now;
            _lastError = null;
            Reloads++;
            LogReloaded(_logger, _listener.Url, string.Join(", ", set.Certificates.Select(c => c.Leaf.Subject)));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException
            or InvalidOperationException or ArgumentException)
        {
            // Left unchanged in _fingerprints, so the next check tries again (the rest of the write may still come).
            if (_lastError != ex.Message)
            {
                _lastError = ex.Message;
                LogReloadFailed(_logger, _listener.Url, ex.Message);
            }
        }
    }

    private (long, DateTime)[] Fingerprints() =>
    [
        .. _listener.Certificates.SelectMany(c => new[] { c.Certificate, c.Key }).Select(path =>
        {
            var info = new FileInfo(path);
            return info.Exists ? (info.Length, info.LastWriteTimeUtc) : (-1L, default(DateTime));
        }),
    ];

    [LoggerMessage(EventId = 1800, Level = LogLevel.Information, Message = "Listener {Url}: certificates reloaded from disk ({Subjects}).")]
    private static partial void LogReloaded(ILogger logger, string url, string subjects);

    [LoggerMessage(EventId = 1801, Level = LogLevel.Warning,
        Message = "Listener {Url}: a certificate file changed but does not load ({Error}); the previous certificates stay in service.")]
    private static partial void LogReloadFailed(ILogger logger, string url, string error);
}
