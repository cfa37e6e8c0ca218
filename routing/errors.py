from oms.errors import BusinessRuleViolation, Conflict, NotFound


class StrategyNotFound(NotFound):
    code = "strategy_not_found"
    default_message = "Strategy version not found."


class StrategyInvalid(BusinessRuleViolation):
    code = "strategy_invalid"
    default_message = "The strategy configuration is invalid."


class StrategyNotDraft(Conflict):
    code = "strategy_not_draft"
    default_message = "Only a draft version can be edited or activated."


class UnknownSku(BusinessRuleViolation):
    """Some requested SKUs do not exist; `details.skus` lists them."""

    code = "unknown_sku"
    default_message = "Some SKUs are unknown."
