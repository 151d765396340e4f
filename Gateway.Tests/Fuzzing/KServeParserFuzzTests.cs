using System.Text;
using System.Text.Json;
using CsCheck;
using ModelWorker.KServe;

namespace Gateway.Tests.Fuzzing;

/// <summary>
/// The worker's Open Inference Protocol (KServe v2) JSON infer body, read as its HTTP endpoint reads it: whatever the
/// bytes, the document parser rejects them with a JsonException or <see cref="KServeJsonReader.Read"/> returns the
/// request or a message (never throws), and what it accepts holds exactly the finite numbers the body holds.
/// </summary>
public class KServeParserFuzzTests
{
    private static readonly string[] s_seeds =
    [
        """{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]}""",
        """{"id":"r-1","inputs":[{"name":"features","shape":[2,4],"datatype":"FP32","data":[[1,2,3,4],[5,6,7,8]]}],"outputs":[{"name":"probabilities"},{"name":"class"}]}""",
        """{"inputs":[{"name":"x","shape":[1,2],"datatype":"INT64","data":[1,2]}]}""",
        """{"inputs":[{"name":"x","shape":[1,1],"datatype":"FP32","data":[1],"parameters":{"binary_data_size":4}}]}""",
        """{ "inputs" : [ { "name" : "features" , "shape" : [ 1 , 4 ] , "datatype" : "FP32" , "data" : [ -1e3 , 0 , 1E-2 , 7 ] } ] , "parameters" : { } }""",
    ];

    [Fact]
    public void Read_MutatedBodies_RequestOrMessageNeverThrows()
    {
        Mutations.Of(s_seeds).Sample(text =>
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(Encoding.UTF8.GetBytes(text), KServeHttpEndpoints.ReadOptions);
            }
            catch (JsonException)
            {
                return; // the endpoint answers 400 with the reader's message
            }

            using (document)
            {
                var request = KServeJsonReader.Read(document.RootElement, "m", null, out var error);
                Assert.True(request is not null || !string.IsNullOrWhiteSpace(error), "rejected without a message");
                if (request is null)
                {
                    return;
                }

                Assert.NotEmpty(request.Inputs);
                var inputs = document.RootElement.GetProperty("inputs");
                for (var i = 0; i < request.Inputs.Count; i++)
                {
                    if (request.Inputs[i].Data is { } data)
                    {
                        var expected = Numbers(inputs[i].GetProperty("data")).ToArray();
                        Assert.Equal(expected, data);
                        Assert.All(data, value => Assert.True(float.IsFinite(value)));
                    }
                }
            }
        }, iter: FuzzBudget.Iterations, time: FuzzBudget.Seconds, threads: 1);
    }

    private static IEnumerable<float> Numbers(JsonElement element) =>
        element.ValueKind == JsonValueKind.Array ? element.EnumerateArray().SelectMany(Numbers) : [(float)element.GetDouble()];
}
