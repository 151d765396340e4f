using System.Runtime.InteropServices;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using ModelWorker.KServe;
using ModelWorker.KServe.Grpc;
using Gateway.Tests.Worker.MultiModel;

namespace Gateway.Tests.Worker.KServe;

/// <summary>
/// The KServe v2 gRPC service on a real worker's h2c port (in-process Kestrel), called with Grpc.Net.Client over
/// cleartext HTTP/2, as a Triton/KServe client would.
/// </summary>
public sealed class KServeGrpcTests : IAsyncLifetime
{
    private static readonly float[] RowA = [5.1f, 3.5f, 1.4f, 0.2f];
    private static readonly float[] RowB = [1f, 2f, 3f, 4f];
    private InProcessWorker _worker = null!;
    private GrpcChannel _channel = null!;
    private GRPCInferenceService.GRPCInferenceServiceClient _client = null!;

    public async Task InitializeAsync()
    {
        _worker = await InProcessWorker.StartAsync("--grpc-urls", "http://127.0.0.1:0");
        var url = _worker.Services.GetRequiredService<GrpcListeners>().Urls.Single();
        _channel = GrpcChannel.ForAddress(url);
        _client = new GRPCInferenceService.GRPCInferenceServiceClient(_channel);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _worker.DisposeAsync();
    }

    [Fact]
    public async Task ServerAndModel_LoadedWorker_LiveReadyAndMetadata()
    {
        var live = await _client.ServerLiveAsync(new ServerLiveRequest());
        var ready = await _client.ServerReadyAsync(new ServerReadyRequest());
        var modelReady = await _client.ModelReadyAsync(new ModelReadyRequest { Name = "classifier-small" });
        var metadata = await _client.ModelMetadataAsync(new ModelMetadataRequest { Name = "classifier-small", Version = "1" });

        Assert.True(live.Live);
        Assert.True(ready.Ready);
        Assert.True(modelReady.Ready);
        Assert.Equal("onnxruntime_onnx", metadata.Platform);
        Assert.Equal(["1"], metadata.Versions);
        Assert.Equal("features", metadata.Inputs.Single().Name);
        Assert.Equal([-1L, 4L], metadata.Inputs.Single().Shape);
        Assert.Equal(["logits", "class"], metadata.Outputs.Select(o => o.Name));
    }

    [Fact]
    public async Task ModelInfer_TypedContents_EqualsEachRowRunAloneWithTypedOutputs()
    {
        var request = Request("classifier-small", [RowA, RowB]);
        request.Inputs[0].Contents = new InferTensorContents();
        request.Inputs[0].Contents.Fp32Contents.AddRange([.. RowA, .. RowB]);

        var response = await _client.ModelInferAsync(request);

        Assert.Equal("classifier-small", response.ModelName);
        Assert.Equal("1", response.ModelVersion);
        Assert.Equal("grpc-1", response.Id);
        Assert.Empty(response.RawOutputContents);
        var expected = ModelFiles.RunAlone(ModelFiles.Small, RowA).Concat(ModelFiles.RunAlone(ModelFiles.Small, RowB)).ToArray();
        Assert.Equal([2L, 3L], response.Outputs[0].Shape);
        ModelFiles.AssertClose(expected, response.Outputs[0].Contents.Fp32Contents);
        Assert.Equal("INT64", response.Outputs[1].Datatype);
        Assert.Equal(2, response.Outputs[1].Contents.Int64Contents.Count);
    }

    [Fact]
    public async Task ModelInfer_RawInputContents_AnswersWithRawOutputContents()
    {
        var request = Request("classifier-small", [RowA]);
        request.RawInputContents.Add(ByteString.CopyFrom(MemoryMarshal.AsBytes(RowA.AsSpan())));
        request.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "logits" });

        var response = await _client.ModelInferAsync(request);

        var output = Assert.Single(response.Outputs);
        Assert.Null(output.Contents);
        var raw = Assert.Single(response.RawOutputContents);
        ModelFiles.AssertClose(ModelFiles.RunAlone(ModelFiles.Small, RowA), MemoryMarshal.Cast<byte, float>(raw.Span).ToArray());
    }

    [Fact]
    public async Task ModelInfer_UnknownModelOrWrongShape_NotFoundOrInvalidArgument()
    {
        var unknown = Request("nope", [RowA]);
        unknown.Inputs[0].Contents = new InferTensorContents();
        unknown.Inputs[0].Contents.Fp32Contents.AddRange(RowA);
        var short3 = Request("classifier-small", [[1f, 2f, 3f]]);
        short3.Inputs[0].Contents = new InferTensorContents();
        short3.Inputs[0].Contents.Fp32Contents.AddRange([1f, 2f, 3f]);

        var notFound = await Assert.ThrowsAsync<RpcException>(async () => await _client.ModelInferAsync(unknown));
        var invalid = await Assert.ThrowsAsync<RpcException>(async () => await _client.ModelInferAsync(short3));

        Assert.Equal(StatusCode.NotFound, notFound.StatusCode);
        Assert.Contains("model 'nope' is not served here", notFound.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
        Assert.Contains("has shape [1, 3]", invalid.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InferGrpcVerb_AgainstTheWorker_PrintsTheOutputs()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var url = _worker.Services.GetRequiredService<GrpcListeners>().Urls.Single();

        var exit = await GrpcInferVerb.RunAsync([url, "classifier-small", "5.1,3.5,1.4,0.2"], output, error);

        Assert.Equal(0, exit);
        Assert.Contains("model classifier-small version 1", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("logits FP32 [1, 3]", output.ToString(), StringComparison.Ordinal);
    }

    internal static ModelInferRequest Request(string model, float[][] rows)
    {
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "features", Datatype = "FP32" };
        input.Shape.Add(rows.Length);
        input.Shape.Add(rows[0].Length);
        var request = new ModelInferRequest { ModelName = model, Id = "grpc-1" };
        request.Inputs.Add(input);
        return request;
    }
}
