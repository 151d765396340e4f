namespace ModelWorker.Models;

/// <summary>How a model lookup ended; each front end maps it to its own error (HTTP status, gRPC code).</summary>
public enum ModelAcquireStatus
{
    /// <summary>The model is loaded and leased to the caller.</summary>
    Acquired,

    /// <summary>No such model or version (404, NOT_FOUND).</summary>
    NotFound,

    /// <summary>Loading it would pass the count or memory limit and every loaded model is busy (503, UNAVAILABLE).</summary>
    LimitReached,

    /// <summary>The model file could not be loaded (500, INTERNAL); the reason stays until the worker restarts.</summary>
    LoadFailed,

    /// <summary>The worker is starting (the --model one is not loaded yet) or shutting down (503, UNAVAILABLE).</summary>
    Unavailable,
}
