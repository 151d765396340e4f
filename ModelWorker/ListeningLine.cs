using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using ModelWorker.KServe;

namespace ModelWorker;

/// <summary>
/// The one line the worker writes to stdout once Kestrel has bound its listeners, ports resolved:
/// <c>ModelWorker listening: http=URL[,URL] [grpc=URL[,URL]]</c>. A supervisor that starts workers on port 0 (the
/// gateway's local fleet, Gateway/Fleet/WorkerProcess) reads the addresses from it: the kernel picks a free port and
/// binds it in one step, so no other process can take a port between a supervisor's choice and the worker's bind.
/// </summary>
public static class ListeningLine
{
    public const string Prefix = "ModelWorker listening: ";

    /// <summary>Writes the line when the host has started (Kestrel is bound by then; the model may still be loading).</summary>
    public static void WriteWhenStarted(WebApplication app, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var grpc = app.Services.GetRequiredService<GrpcListeners>().Urls;
            var all = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            output.WriteLine(Format([.. all.Except(grpc)], grpc));
            output.Flush();
        });
    }

    public static string Format(IReadOnlyCollection<string> http, IReadOnlyCollection<string> grpc) =>
        $"{Prefix}http={string.Join(',', http)}" + (grpc.Count > 0 ? $" grpc={string.Join(',', grpc)}" : "");
}
