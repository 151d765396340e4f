using Microsoft.Extensions.Hosting;

namespace Gateway.Tls;

/// <summary>
/// Checks the https listeners' certificate files every <see cref="ListenerOptions.CertificateCheckSeconds"/> and puts
/// changed ones in service without a restart (nginx needs a reload for that; Envoy's SDS does it live). Polling a few
/// file timestamps, not inotify: it also sees files replaced by rename (certbot, Kubernetes secret volumes' symlink swap).
/// </summary>
internal sealed class CertificateWatcher(ListenerCertificates certificates, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (certificates.Stores.Count == 0)
        {
            return;
        }

        var period = TimeSpan.FromSeconds(certificates.Stores.Min(s => s.Listener.CertificateCheckSeconds));
        using var timer = new PeriodicTimer(period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                foreach (var store in certificates.Stores)
                {
                    store.CheckForChanges();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
