using System.Runtime.InteropServices;

namespace Gateway.Transport;

/// <summary>
/// One event-loop thread: an edge-triggered epoll set and the sockets registered in it. Each socket is registered once
/// for input and output; an event only tells its <see cref="EpollSocket"/> that something changed, and the waiting
/// receive or send runs its one system call right there, on this thread, and with it whatever awaited that operation
/// (Kestrel's request, the upstream response). That is HAProxy's shape: a system call only for what epoll reported.
/// </summary>
internal sealed unsafe class EpollLoop
{
    private const int MaxEvents = 256;

    [ThreadStatic]
    private static EpollLoop? t_current;

    private readonly int _epollFd;
    private readonly Lock _slotsLock = new();
    private readonly Stack<int> _freeSlots = new();
    private EpollSocket?[] _slots = new EpollSocket?[64];
    private uint[] _generations = new uint[64];
    private int _nextSlot;

    // Loop thread only: sends asked for while this batch of events is being handled, made once it has been.
    private readonly List<EpollSocket> _deferredSends = [];
    private bool _dispatching;

    public EpollLoop(int index)
    {
        Index = index;
        _epollFd = EpollNative.EpollCreate(EpollNative.EpollCloexec);
        if (_epollFd < 0)
        {
            throw new InvalidOperationException($"epoll_create1 failed: errno {Marshal.GetLastPInvokeError()}");
        }

        var thread = new Thread(Run) { IsBackground = true, Name = $"lbproxy-epoll-{index}" };
        thread.UnsafeStart();
    }

    /// <summary>This loop's place among <see cref="EpollLoops"/> (0, 1, ...).</summary>
    public int Index { get; }

    /// <summary>
    /// The loop whose thread is handling a batch of events now, if any: a send asked for there waits for the end of the
    /// batch (<see cref="DeferSend"/>).
    /// </summary>
    public static EpollLoop? Dispatching => t_current is { _dispatching: true } loop ? loop : null;

    /// <summary>
    /// Makes the socket's armed send at the end of this batch. The answers of a batch then reach their peers together,
    /// and a peer is woken (and on a busy machine preempts this thread) once per batch instead of once per answer,
    /// which is how HAProxy and nginx batch their writes after their event loop's reads.
    /// </summary>
    public void DeferSend(EpollSocket socket) => _deferredSends.Add(socket);

    /// <summary>The loop whose thread is running now, if any (an upstream connection opened for a request joins it).</summary>
    public static EpollLoop? Current => t_current;

    /// <summary>A slot for the socket; returns the token its events will carry (set it before <see cref="Add"/>).</summary>
    public ulong Reserve(EpollSocket socket)
    {
        int slot;
        uint generation;
        lock (_slotsLock)
        {
            if (!_freeSlots.TryPop(out slot))
            {
                slot = _nextSlot++;
                if (slot == _slots.Length)
                {
                    Array.Resize(ref _slots, _slots.Length * 2);
                    Array.Resize(ref _generations, _generations.Length * 2);
                }
            }

            generation = ++_generations[slot];
            Volatile.Write(ref _slots[slot], socket);
        }

        return ((ulong)generation << 32) | (uint)slot;
    }

    /// <summary>Adds the descriptor for input and output edges. The first event may come before this returns.</summary>
    public void Add(nint fd, ulong token)
    {
        var ev = new EpollNative.EpollEvent
        {
            Events = EpollNative.EpollIn | EpollNative.EpollOut | EpollNative.EpollRdHup | EpollNative.EpollEdgeTriggered,
            Data = token,
        };
        if (EpollNative.EpollControl(_epollFd, EpollNative.EpollCtlAdd, (int)fd, &ev) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            Unregister(token);
            throw new System.Net.Sockets.SocketException((int)EpollNative.ToSocketError(errno));
        }
    }

    /// <summary>
    /// Frees the socket's slot. Closing the descriptor takes it out of the epoll set; an event already read for it
    /// carries the old token and is dropped (a slot reused later has a new generation).
    /// </summary>
    public void Unregister(ulong token)
    {
        var slot = (int)(uint)token;
        lock (_slotsLock)
        {
            if (_slots[slot] is { } socket && socket.Token == token)
            {
                _slots[slot] = null;
                _freeSlots.Push(slot);
            }
        }
    }

    private void Run()
    {
        t_current = this;
        var events = stackalloc EpollNative.EpollEvent[MaxEvents];
        while (true)
        {
            var count = EpollNative.EpollWait(_epollFd, events, MaxEvents, -1);
            if (count < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == EpollNative.EIntr)
                {
                    continue;
                }

                Environment.FailFast($"epoll_wait failed: errno {errno}");
            }

            var slots = Volatile.Read(ref _slots);
            _dispatching = true;
            for (var i = 0; i < count; i++)
            {
                var token = events[i].Data;
                var slot = (int)(uint)token;
                if (slot < slots.Length && Volatile.Read(ref slots[slot]) is { } socket && socket.Token == token)
                {
                    socket.OnEvents(events[i].Events);
                }
            }

            _dispatching = false; // what the sends' continuations send goes out at once
            for (var i = 0; i < _deferredSends.Count; i++)
            {
                _deferredSends[i].SendDeferred();
            }

            _deferredSends.Clear();
        }
    }
}
