namespace Benchmarks.Local;

/// <summary>A started program failed because a port it was told to bind was taken; <see cref="LocalProcesses.OnFreshPortsAsync{T}"/> retries.</summary>
internal sealed class PortInUseException(string message) : Exception(message);
