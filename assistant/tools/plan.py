"""exit_plan_mode: the model presents its plan; a person who approves it ends plan mode.

Under Qwen Code's name and schema (`plan`, Markdown). The agent offers it in plan mode only;
the approval is asked through the permission policy (kind "plan": a person must answer, a
headless run refuses), and the agent switches the mode when the answer is yes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assistant.tools.base import ToolContext, ToolOutput, ToolSpec, require_str

PLAN_CHARS = 20_000


class ExitPlanMode:
    """Ask the user to approve the plan and leave plan mode."""

    spec = ToolSpec(
        name="exit_plan_mode",
        description=(
            "Use this tool when you are in plan mode and have finished presenting your plan "
            "and are ready to code. This will prompt the user to exit plan mode. Use it only "
            "for a plan of changes to make, not after research alone."
        ),
        parameters={
            "type": "object",
            "properties": {
                "plan": {
                    "type": "string",
                    "description": "The plan you came up with, that you want to run by the user "
                    "for approval. Supports markdown. The plan should be pretty concise.",
                }
            },
            "required": ["plan"],
            "additionalProperties": False,
        },
    )

    async def run(self, args: Mapping[str, Any], ctx: ToolContext) -> ToolOutput:
        """Put the plan to the user; say what they decided."""
        plan = require_str(args, "plan")[:PLAN_CHARS]
        if not await ctx.authorize("plan", "approve this plan and start making changes?", plan):
            return ToolOutput(
                "Plan execution was not approved. Remaining in plan mode: do not change "
                "anything; refine the plan if the user asks.",
                ok=False,
                refused=True,
            )
        return ToolOutput(
            "User has approved your plan. You can now start coding. Start with updating your "
            "todo list if applicable.",
            plan_approved=True,
        )
