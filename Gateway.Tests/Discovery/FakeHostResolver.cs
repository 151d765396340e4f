using System.Net;
using System.Net.Sockets;
using Gateway.Discovery;

namespace Gateway.Tests.Discovery;

/// <summary>Answers DNS lookups with what the test set: addresses, or a socket error (NXDOMAIN, no answer).</summary>
internal sealed class FakeHostResolver : IHostResolver
{
    private volatile object _answer = Array.Empty<IPAddress>();

    public int Lookups;

    public void Answer(params string[] addresses) => _answer = addresses.Select(IPAddress.Parse).ToArray();

    public void Fail(SocketError error) => _answer = new SocketException((int)error);

    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Lookups);
        return _answer is SocketException error ? Task.FromException<IPAddress[]>(error) : Task.FromResult((IPAddress[])_answer);
    }
}
