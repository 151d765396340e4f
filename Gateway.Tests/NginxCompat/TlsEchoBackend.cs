using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.NginxCompat;

/// <summary>
/// A real HTTPS Kestrel backend with a certificate from <see cref="Tls.TestCertificates"/>: answers like
/// <see cref="EchoBackend"/> (name, target, headers as JSON) and adds what TLS showed it as pseudo headers:
/// <c>x-tls-client</c> (the client certificate's CN, empty without one; one from another CA is refused).
/// </summary>
public sealed class TlsEchoBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TlsEchoBackend(string name, WebApplication app)
    {
        Name = name;
        _app = app;
    }

    public string Name { get; }

    public string Address => new Uri(_app.Urls.First()).Authority;

    public static async Task<TlsEchoBackend> StartAsync(string name, (string Certificate, string Key) pair, string caFile)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(caFile);
        var certificate = X509Certificate2.CreateFromPemFile(pair.Certificate, pair.Key);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, listen => listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = certificate,
            ClientCertificateMode = ClientCertificateMode.AllowCertificate,
            ClientCertificateValidation = (client, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                return chain.Build(client);
            },
        })));
        var app = builder.Build();
        var backend = new TlsEchoBackend(name, app);
        app.Run(backend.HandleAsync);
        await app.StartAsync();
        return backend;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        var client = context.Connection.ClientCertificate;
        headers["x-tls-client"] = client?.GetNameInfo(X509NameType.SimpleName, false) ?? "";
        headers["x-tls-sni"] = context.Features.Get<ITlsHandshakeFeature>()?.HostName ?? "";
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            backend = Name,
            target = context.Features.Get<IHttpRequestFeature>()!.RawTarget,
            method = context.Request.Method,
            protocol = context.Request.Protocol,
            headers,
        }));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
