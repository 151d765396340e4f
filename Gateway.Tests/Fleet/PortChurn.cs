using System.Net;
using System.Net.Sockets;

namespace Gateway.Tests.Fleet;

/// <summary>
/// Another process's port traffic in this one: it keeps asking the OS for loopback ports (bind to port 0 and listen),
/// holding the last <see cref="Held"/> of them. A port that somebody picked, released and handed to a child to bind
/// later is taken by this now and then (the fleet's old race); a port bound by its user in one step never is.
/// </summary>
internal sealed class PortChurn : IDisposable
{
    public const int Held = 1000;
    private readonly Queue<TcpListener> _held = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;

    public PortChurn()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "port churn" };
        _thread.Start();
    }

    /// <summary>Ports taken so far.</summary>
    public int Taken { get; private set; }

    private void Run()
    {
        while (!_stop.IsCancellationRequested)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            _held.Enqueue(listener);
            Taken++;
            if (_held.Count > Held)
            {
                _held.Dequeue().Stop();
            }

            Thread.Sleep(1); // about a thousand a second, without taking a core of the shared machine
        }

        while (_held.TryDequeue(out var listener))
        {
            listener.Stop();
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        _stop.Dispose();
    }
}
