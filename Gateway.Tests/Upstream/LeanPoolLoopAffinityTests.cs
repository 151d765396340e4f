using System.Net;
using System.Net.Sockets;
using Gateway.Transport;
using Gateway.Upstream;

namespace Gateway.Tests.Upstream;

/// <summary>
/// The lean pool on the event loops keeps each loop's idle connections apart: a request takes a connection of the loop it
/// runs on, so the upstream's answer wakes that loop's thread (HAProxy's per-thread idle lists), and takes another loop's
/// idle connection before it opens a new one. Real loops, real sockets on 127.0.0.1.
/// </summary>
public sealed class LeanPoolLoopAffinityTests : IDisposable
{
    private readonly HeldDestination _destination = new();

    [Fact]
    public async Task TryRent_OnALoop_TakesThatLoopsConnectionFirstThenAnothers()
    {
        var loops = EpollLoops.All;
        Assert.True(loops.Count >= 2, $"the gateway runs one loop per processor; this machine has {loops.Count}, the test needs two");
        using var pool = new LeanConnectionPool(_destination.Uri, epoll: true);

        // A connection opened on each loop joins that loop, and goes back to the pool idle.
        foreach (var loop in loops)
        {
            var connection = await OnLoopAsync(loop, () => _destination.ConnectAsync(pool));
            Assert.Equal(loop.Index, connection.LoopIndex);
            pool.Return(connection);
        }

        Assert.Equal(loops.Count, pool.IdleCount);

        // The last loop asks first, so "the first idle one" (the most recently returned) would not be its own.
        for (var i = loops.Count - 1; i >= 0; i--)
        {
            var rented = await OnLoopAsync(loops[i], () => Task.FromResult(pool.TryRent()));
            Assert.Equal(i, rented?.LoopIndex);
            pool.Return(rented!);
        }

        // With its own idle connection taken, a loop takes another loop's before opening one.
        var own = await OnLoopAsync(loops[0], () => Task.FromResult(pool.TryRent()));
        var other = await OnLoopAsync(loops[0], () => Task.FromResult(pool.TryRent()));
        Assert.Equal(0, own?.LoopIndex);
        Assert.NotNull(other);
        Assert.NotEqual(0, other.LoopIndex);
        pool.Return(own!);
        pool.Return(other);
        Assert.Equal(loops.Count, pool.IdleCount);
    }

    /// <summary>
    /// Runs <paramref name="action"/> on <paramref name="loop"/>'s thread: a receive on a socket of that loop is armed,
    /// then a byte sent to it, and the receive's continuation runs on the loop thread that saw the byte arrive.
    /// </summary>
    private static async Task<T> OnLoopAsync<T>(EpollLoop loop, Func<Task<T>> action)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndpoint);
        using var server = new EpollSocket(await listener.AcceptSocketAsync(), loop);
        var received = server.ReceiveAsync(new byte[1]);
        Assert.False(received.IsCompleted);
        var run = RunAfterAsync(received, loop, action); // waits on the receive before the byte is sent, so the loop runs it
        await client.SendAsync(new byte[] { 1 });
        return await run.ConfigureAwait(false);
    }

    private static async Task<T> RunAfterAsync<T>(ValueTask<int> received, EpollLoop loop, Func<Task<T>> action)
    {
        Assert.Equal(1, await received.ConfigureAwait(false));
        Assert.Same(loop, EpollLoop.Current);
        return await action().ConfigureAwait(false);
    }

    public void Dispose() => _destination.Dispose();
}
