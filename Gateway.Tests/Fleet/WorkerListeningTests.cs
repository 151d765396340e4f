using Gateway.Fleet;
using ModelWorker;

namespace Gateway.Tests.Fleet;

/// <summary>The line a worker writes once bound (ModelWorker/ListeningLine), read as the fleet reads it.</summary>
public sealed class WorkerListeningTests
{
    [Fact]
    public void TryParse_TheWorkersOwnLine_GivesItsFirstHttpAndGrpcAddresses()
    {
        var line = ListeningLine.Format(["http://127.0.0.1:41234", "http://[::1]:41236"], ["http://127.0.0.1:41235"]);

        Assert.True(WorkerListening.TryParse(line, out var listening));

        Assert.Equal(new WorkerListening("http://127.0.0.1:41234", "http://127.0.0.1:41235"), listening);
        Assert.Equal(41234, listening.Port);
    }

    [Fact]
    public void TryParse_WithoutGrpc_GrpcIsNull()
    {
        Assert.True(WorkerListening.TryParse(ListeningLine.Format(["http://127.0.0.1:5001"], []), out var listening));

        Assert.Null(listening.Grpc);
    }

    [Theory]
    [InlineData("info: Microsoft.Hosting.Lifetime[14] Now listening on: http://127.0.0.1:41234")]
    [InlineData("ModelWorker listening: grpc=http://127.0.0.1:41235")]
    [InlineData("ModelWorker listening: http=http://127.0.0.1:0")]
    [InlineData("ModelWorker listening: http=not-a-url")]
    [InlineData("ModelWorker listening: http=http://127.0.0.1:41234 grpc=::")]
    [InlineData("[worker-1] ModelWorker listening: http=http://127.0.0.1:41234")]
    public void TryParse_AnyOtherLine_False(string line) => Assert.False(WorkerListening.TryParse(line, out _));
}
