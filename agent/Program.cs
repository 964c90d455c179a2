using Fleet502.Agent;

return await AgentCommandLine.Build().Parse(args).InvokeAsync();
