using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;

namespace ModelWorker.Api;

/// <summary>Source-generated serializer for ProblemDetails (camelCase keys, as RFC 9457 and ASP.NET write them).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ProblemDetails))]
internal sealed partial class ProblemJsonContext : JsonSerializerContext;
