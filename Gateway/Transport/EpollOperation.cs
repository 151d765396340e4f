using System.Buffers;
using System.Threading.Tasks.Sources;

namespace Gateway.Transport;

/// <summary>
/// A receive or send waiting for its socket's next epoll edge: reused for every wait (no allocation), completed on the
/// loop thread with the continuation run right there (the point of the transport). Its fields belong to whoever holds
/// it: the caller until it is armed, the loop while <see cref="Pending"/> (under the socket's lock), the caller again
/// once completed.
/// </summary>
internal sealed class EpollOperation : IValueTaskSource<int>
{
    private static readonly Action<object?, CancellationToken> s_cancel = static (state, token) => ((EpollOperation)state!).Cancel(token);

    private readonly EpollSocket _socket;
    private ManualResetValueTaskSourceCore<int> _core; // continuations run inline, on the thread that completes it

    public EpollOperation(EpollSocket socket) => _socket = socket;

    /// <summary>Waiting for an edge; set and cleared only under the socket's lock.</summary>
    public bool Pending { get; set; }

    public Memory<byte> Buffer { get; private set; }

    public ReadOnlySequence<byte> Data { get; set; }

    /// <summary>Bytes sent so far by a send that had to wait.</summary>
    public int Sent { get; set; }

    public CancellationToken Token { get; private set; }

    private CancellationTokenRegistration _registration;
    private CancellationTokenRegistration _taken;

    /// <summary>Arms a receive (under the socket's lock); <see cref="Await"/> after the lock is released.</summary>
    public void ArmReceive(Memory<byte> buffer, CancellationToken token)
    {
        _core.Reset();
        Buffer = buffer;
        Token = token;
        Pending = true;
    }

    /// <summary>Arms a send of what is left (under the socket's lock).</summary>
    public void ArmSend(ReadOnlySequence<byte> rest, int sent, CancellationToken token)
    {
        _core.Reset();
        Data = rest;
        Sent = sent;
        Token = token;
        Pending = true;
    }

    /// <summary>
    /// The caller's side, after the socket's lock is released: registers cancellation (a registration made under the lock
    /// could run the callback, which takes the lock, at once) and hands out the wait.
    /// </summary>
    public ValueTask<int> Await()
    {
        var version = _core.Version;
        if (Token.CanBeCanceled)
        {
            var registration = Token.UnsafeRegister(s_cancel, this);
            if (!_socket.TryAttach(this, registration))
            {
                registration.Unregister(); // completed already
            }
        }

        return new ValueTask<int>(this, version);
    }

    /// <summary>Under the socket's lock, while pending: keeps the registration for whoever completes the operation.</summary>
    public void Attach(CancellationTokenRegistration registration) => _registration = registration;

    /// <summary>Under the socket's lock: no longer pending; the taker completes it.</summary>
    public void Take()
    {
        Pending = false;
        _taken = _registration;
        _registration = default;
    }

    /// <summary>Under the socket's lock: the taker found nothing to do yet (a spurious edge); waiting again.</summary>
    public void Repend()
    {
        Pending = true;
        _registration = _taken;
        _taken = default;
    }

    public void Complete(int result)
    {
        Release();
        _core.SetResult(result);
    }

    public void Fail(Exception error)
    {
        Release();
        _core.SetException(error);
    }

    private void Release()
    {
        var registration = _taken;
        _taken = default;
        registration.Unregister();
        Buffer = default;
        Data = default;
    }

    private void Cancel(CancellationToken token)
    {
        if (_socket.TryTakePending(this, token))
        {
            Fail(new OperationCanceledException(token));
        }
    }

    public int GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
