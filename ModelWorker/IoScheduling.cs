namespace ModelWorker;

/// <summary>
/// Where the worker runs socket completions and request code. By default on the socket engine's threads: the
/// runtime's DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 plus Kestrel's UnsafePreferInlineScheduling, which
/// saves the two thread-pool hops a request otherwise takes on its way in (about 2-3 us of CPU and half the
/// context switches per request, measured under load). That is safe here because nothing on the request path
/// blocks: the body is awaited, the row is queued with TryWrite, the model runs on the batch loop, and answers are
/// written by each request's continuation on the thread pool. Setting the variable to 0 restores the pool hops.
/// </summary>
internal static class IoScheduling
{
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>True when socket completions run inline, so Kestrel should run request code inline as well.</summary>
    public static bool Inline => Environment.GetEnvironmentVariable(InlineCompletionsVariable) == "1";

    /// <summary>
    /// Turns inline completions on unless the environment says otherwise. Must run before the process opens its
    /// first socket: the runtime reads the variable once, then.
    /// </summary>
    public static void PreferInline()
    {
        if (Environment.GetEnvironmentVariable(InlineCompletionsVariable) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletionsVariable, "1");
        }
    }
}
