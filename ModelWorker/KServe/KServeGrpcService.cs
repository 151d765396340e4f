using System.Runtime.InteropServices;
using Google.Protobuf;
using Grpc.Core;
using ModelWorker.Api;
using ModelWorker.KServe.Grpc;
using ModelWorker.Models;

namespace ModelWorker.KServe;

/// <summary>
/// The Open Inference Protocol's gRPC service (<c>inference.GRPCInferenceService</c>), on the worker's h2c port
/// (<c>--grpc-urls</c>). ModelInfer goes through the same checks, cache and batcher as the HTTP infer; input data comes
/// in typed <c>fp32_contents</c> or in <c>raw_input_contents</c> (little-endian), and the answer uses the same form
/// (raw in, raw out, as Triton does). Errors are gRPC statuses: NOT_FOUND, INVALID_ARGUMENT, UNAVAILABLE,
/// DEADLINE_EXCEEDED, INTERNAL.
/// </summary>
internal sealed class KServeGrpcService(ModelManager models, KServeInference inference, HealthEndpoints health)
    : GRPCInferenceService.GRPCInferenceServiceBase
{
    public override Task<ServerLiveResponse> ServerLive(ServerLiveRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerLiveResponse { Live = health.NotLiveReason() is null });

    public override Task<ServerReadyResponse> ServerReady(ServerReadyRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerReadyResponse { Ready = health.NotReadyReason(out _) is null });

    public override Task<ServerMetadataResponse> ServerMetadata(ServerMetadataRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerMetadataResponse { Name = KServeHttpEndpoints.ServerName, Version = KServeHttpEndpoints.ServerVersion });

    public override async Task<ModelReadyResponse> ModelReady(ModelReadyRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        using var lease = await models.AcquireAsync(request.Name, request.Version, context.CancellationToken);
        return lease.Status == ModelAcquireStatus.NotFound
            ? throw new RpcException(new Status(StatusCode.NotFound, lease.Error!))
            : new ModelReadyResponse { Ready = lease.Model is not null };
    }

    public override async Task<ModelMetadataResponse> ModelMetadata(ModelMetadataRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        using var lease = await models.AcquireAsync(request.Name, request.Version, context.CancellationToken);
        var model = lease.Model ?? throw Fail(KServeError.From(lease));
        var response = new ModelMetadataResponse { Name = model.Key.Name, Platform = KServeInference.Platform };
        response.Versions.AddRange(models.Repository.Versions(model.Key.Name).Select(e => e.Key.Version));
        response.Inputs.AddRange(KServeInference.Inputs(model).Select(Tensor));
        response.Outputs.AddRange(KServeInference.Outputs(model).Select(Tensor));
        return response;
    }

    public override async Task<ModelInferResponse> ModelInfer(ModelInferRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var data = Read(request) ?? throw Fail(KServeError.BadRequest(ReadError(request)));
        var (result, error) = await inference.InferAsync(data, context.CancellationToken);
        if (error is not null)
        {
            throw Fail(error);
        }

        return Answer(result!, raw: request.RawInputContents.Count > 0);
    }

    private static InferRequestData? Read(ModelInferRequest request)
    {
        var raw = request.RawInputContents;
        if (raw.Count > 0 && (raw.Count != request.Inputs.Count || request.Inputs.Any(i => i.Contents is not null)))
        {
            return null;
        }

        var inputs = new List<InferTensor>(request.Inputs.Count);
        for (var i = 0; i < request.Inputs.Count; i++)
        {
            var input = request.Inputs[i];
            float[]? values = null;
            if (input.Datatype == KServeInference.DatatypeFp32)
            {
                if (raw.Count > 0)
                {
                    if (raw[i].Length % sizeof(float) != 0)
                    {
                        return null;
                    }

                    // The protocol's raw data is little-endian, as this platform is (the build targets linux-x64).
                    values = MemoryMarshal.Cast<byte, float>(raw[i].Span).ToArray();
                }
                else
                {
                    values = input.Contents is null ? [] : [.. input.Contents.Fp32Contents];
                }
            }

            inputs.Add(new InferTensor(input.Name, input.Datatype, [.. input.Shape], values));
        }

        return new InferRequestData(request.ModelName, request.ModelVersion, request.Id, inputs, [.. request.Outputs.Select(o => o.Name)]);
    }

    private static string ReadError(ModelInferRequest request) =>
        request.RawInputContents.Count != request.Inputs.Count
            ? $"raw_input_contents has {request.RawInputContents.Count} entries for {request.Inputs.Count} inputs; give one per input, and no contents then"
            : request.Inputs.Any(i => i.Contents is not null)
                ? "an input has contents while raw_input_contents is used; send each input's data one way"
                : "raw_input_contents of an FP32 input must be a whole number of 4-byte little-endian floats";

    private static ModelInferResponse Answer(InferResult result, bool raw)
    {
        var response = new ModelInferResponse { ModelName = result.Model.Name, ModelVersion = result.Model.Version, Id = result.Id ?? "" };
        if (result.WithProbabilities)
        {
            var output = Output(result.OutputName, KServeInference.DatatypeFp32, [result.Rows, result.Classes]);
            if (raw)
            {
                response.RawOutputContents.Add(ByteString.CopyFrom(MemoryMarshal.AsBytes(result.Probabilities.AsSpan())));
            }
            else
            {
                output.Contents = new InferTensorContents();
                output.Contents.Fp32Contents.AddRange(result.Probabilities);
            }

            response.Outputs.Add(output);
        }

        if (result.WithClass)
        {
            var output = Output(InferResult.ClassOutputName, KServeInference.DatatypeInt64, [result.Rows]);
            var classes = result.ClassOfEachRow();
            if (raw)
            {
                response.RawOutputContents.Add(ByteString.CopyFrom(MemoryMarshal.AsBytes(classes.AsSpan())));
            }
            else
            {
                output.Contents = new InferTensorContents();
                output.Contents.Int64Contents.AddRange(classes);
            }

            response.Outputs.Add(output);
        }

        return response;
    }

    private static ModelInferResponse.Types.InferOutputTensor Output(string name, string datatype, long[] shape)
    {
        var output = new ModelInferResponse.Types.InferOutputTensor { Name = name, Datatype = datatype };
        output.Shape.AddRange(shape);
        return output;
    }

    private static ModelMetadataResponse.Types.TensorMetadata Tensor((string Name, string Datatype, long[] Shape) tensor)
    {
        var metadata = new ModelMetadataResponse.Types.TensorMetadata { Name = tensor.Name, Datatype = tensor.Datatype };
        metadata.Shape.AddRange(tensor.Shape);
        return metadata;
    }

    private static RpcException Fail(KServeError error) => new(new Status(error.GrpcCode, error.Message));
}
