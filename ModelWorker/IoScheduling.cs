namespace ModelWorker;

/// <summary>
/// Where the worker runs socket completions and request code. By default on the socket engine's threads: the
/// runtime's DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 plus Kestrel's UnsafePreferInlineScheduling, which
/// saves the two thread-pool hops a request otherwise takes on its way in. That is safe here because nothing on the
/// request path blocks: the body is awaited, the row is queued with TryWrite, the model runs on the batch loop, and
/// answers are written by each request's continuation on the thread pool. Inline, the runtime would start one
/// socket thread per core, and those threads then parse requests on every core while ONNX Runtime's intra-op
/// threads want the same cores: on 2 cores that made the unbatched worker 6-9% slower (the batched one 11%
/// faster). So the socket threads get half the cores (DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT, at least 1): on
/// 2 cores the batched worker was about 5% faster and the unbatched one unchanged. Setting either variable in the
/// environment leaves both to it; DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0 restores the pool hops.
/// </summary>
internal static class IoScheduling
{
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
    public const string SocketThreadsVariable = "DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT";

    /// <summary>True when socket completions run inline, so Kestrel should run request code inline as well.</summary>
    public static bool Inline => Environment.GetEnvironmentVariable(InlineCompletionsVariable) == "1";

    /// <summary>
    /// Turns inline completions on, on half the cores, unless the environment says otherwise. Must run before the
    /// process opens its first socket: the runtime reads both variables once, then.
    /// </summary>
    public static void PreferInline()
    {
        if (Environment.GetEnvironmentVariable(InlineCompletionsVariable) is null
            && Environment.GetEnvironmentVariable(SocketThreadsVariable) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletionsVariable, "1");
            Environment.SetEnvironmentVariable(SocketThreadsVariable, Math.Max(1, Environment.ProcessorCount / 2).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
