using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Upstream;

/// <summary>The lean forwarder's failure, where YARP's forwarder leaves its own (its type is internal to YARP).</summary>
internal sealed class LeanForwarderError(ForwarderError error, Exception exception) : IForwarderErrorFeature
{
    public ForwarderError Error { get; } = error;

    public Exception? Exception { get; } = exception;
}
