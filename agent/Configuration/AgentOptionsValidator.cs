using Microsoft.Extensions.Options;

namespace Fleet502.Agent.Configuration;

/// <summary>Source-generated DataAnnotations validation (no reflection: NativeAOT-clean).</summary>
[OptionsValidator]
public sealed partial class AgentOptionsValidator : IValidateOptions<AgentOptions>;
