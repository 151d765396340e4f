using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.Tests.Tls;

/// <summary>A real Kestrel https backend on 127.0.0.1 that answers with the client certificate's subject it saw (or "none").</summary>
public sealed class TlsBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _hits;

    private TlsBackend(WebApplication app) => _app = app;

    public string Url => _app.Urls.First();

    public int Hits => Volatile.Read(ref _hits);

    public static async Task<TlsBackend> StartAsync(string certificatePath, string keyPath, bool requireClientCertificate)
    {
        var certificate = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate, https =>
        {
            https.ClientCertificateMode = requireClientCertificate ? ClientCertificateMode.RequireCertificate : ClientCertificateMode.NoCertificate;
            https.ClientCertificateValidation = (_, _, _) => true; // the test checks who it was, not the chain
        })));
        var app = builder.Build();
        var backend = new TlsBackend(app);
        app.Run(async context =>
        {
            Interlocked.Increment(ref backend._hits);
            var client = await context.Connection.GetClientCertificateAsync();
            await context.Response.WriteAsync("tls:" + (client?.Subject ?? "none"));
        });
        await app.StartAsync();
        return backend;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
