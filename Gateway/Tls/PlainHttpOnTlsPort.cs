using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gateway.Tls;

/// <summary>
/// A plain HTTP request on a TLS listener: nginx reads it and answers 400 "The plain HTTP request was sent to HTTPS port"
/// (its status 497, which <c>error_page 497</c> commonly turns into a redirect to https), where Kestrel alone would fail
/// the handshake and close without a word. Around the listener's TLS middleware: the first byte of a connection decides.
/// A TLS record starts with 22 (handshake); anything else skips TLS and runs the HTTP layer with the connection marked,
/// so the request is answered (<see cref="PlainHttpOnTlsMiddleware"/>, or the nginx front) and the connection closed.
/// </summary>
internal static class PlainHttpOnTlsPort
{
    /// <summary>The connection item that marks a plain HTTP connection on a TLS listener.</summary>
    public const string ItemKey = "LbProxy.PlainHttpOnTlsPort";

    private const byte TlsHandshakeRecord = 22;

    /// <summary>Adds the sniffing before <paramref name="useHttps"/>'s TLS middleware and the bypass to what follows it.</summary>
    public static void Use(ListenOptions listen, TimeSpan firstByteTimeout, Action useHttps)
    {
        ConnectionDelegate? afterTls = null;
        listen.Use(tls => connection => SniffAsync(connection, tls, afterTls!, firstByteTimeout));
        useHttps();
        // Kestrel builds the pipeline from the end: this runs first and keeps the HTTP layer's delegate for the bypass.
        listen.Use(next => afterTls = next);
    }

    private static async Task SniffAsync(ConnectionContext connection, ConnectionDelegate tls, ConnectionDelegate plain, TimeSpan timeout)
    {
        var input = connection.Transport.Input;
        byte first;
        using (var waiting = new CancellationTokenSource(timeout))
        {
            System.IO.Pipelines.ReadResult read;
            try
            {
                read = await input.ReadAsync(waiting.Token);
            }
            catch (OperationCanceledException)
            {
                return; // nothing sent within the handshake timeout: closed, as the TLS middleware would
            }

            if (read.Buffer.IsEmpty)
            {
                input.AdvanceTo(read.Buffer.Start);
                return; // closed before a byte
            }

            first = read.Buffer.FirstSpan[0];
            input.AdvanceTo(read.Buffer.Start); // nothing consumed: TLS or HTTP reads it again
        }

        if (first == TlsHandshakeRecord)
        {
            await tls(connection);
            return;
        }

        connection.Items[ItemKey] = true;
        await plain(connection);
    }
}
