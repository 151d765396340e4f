using System.Globalization;
using Grpc.Core;
using Grpc.Net.Client;
using ModelWorker.KServe.Grpc;

namespace ModelWorker.KServe;

/// <summary>
/// <c>ModelWorker infer-grpc URL MODEL ROW [ROW...]</c>: one KServe v2 ModelInfer over gRPC (h2c for http:// URLs),
/// each ROW comma-separated floats, printing the answer; no grpcurl or .proto needed to try a worker or the gateway.
/// </summary>
public static class GrpcInferVerb
{
    public const string Name = "infer-grpc";

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (args.Count < 3)
        {
            error.WriteLine($"usage: ModelWorker {Name} URL MODEL ROW [ROW...]   (ROW = comma-separated floats, e.g. 5.1,3.5,1.4,0.2)");
            return 2;
        }

        float[][] rows;
        try
        {
            rows = [.. args.Skip(2).Select(r => r.Split(',').Select(v => float.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray())];
        }
        catch (FormatException)
        {
            error.WriteLine("each ROW must be comma-separated numbers, e.g. 5.1,3.5,1.4,0.2");
            return 2;
        }

        using var channel = GrpcChannel.ForAddress(args[0]);
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        try
        {
            var metadata = await client.ModelMetadataAsync(new ModelMetadataRequest { Name = args[1] });
            var input = new ModelInferRequest.Types.InferInputTensor { Name = metadata.Inputs[0].Name, Datatype = "FP32", Contents = new InferTensorContents() };
            input.Shape.Add(rows.Length);
            input.Shape.Add(rows[0].Length);
            input.Contents.Fp32Contents.AddRange(rows.SelectMany(r => r));
            var request = new ModelInferRequest { ModelName = args[1], Id = "infer-grpc" };
            request.Inputs.Add(input);
            var response = await client.ModelInferAsync(request);
            output.WriteLine($"model {response.ModelName} version {response.ModelVersion} id {response.Id}");
            foreach (var tensor in response.Outputs)
            {
                var values = tensor.Datatype == "INT64"
                    ? string.Join(", ", tensor.Contents.Int64Contents)
                    : string.Join(", ", tensor.Contents.Fp32Contents.Select(v => v.ToString(CultureInfo.InvariantCulture)));
                output.WriteLine($"  {tensor.Name} {tensor.Datatype} [{string.Join(", ", tensor.Shape)}]: {values}");
            }

            return 0;
        }
        catch (RpcException ex)
        {
            error.WriteLine($"{ex.StatusCode}: {ex.Status.Detail}");
            return 1;
        }
    }
}
