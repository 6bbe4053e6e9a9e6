"""MMEngine's module tree, as data: where each ``mmengine`` module takes its names from.

``TREE`` maps every public module path of MMEngine 0.10 to the modules it takes names from, as
``"exported sources | lookup-only sources"``:

- a source is an mme module (``mme.config``) or another module of this tree (``mmengine.fileio``);
  it provides the names in its ``__all__`` (``__version__`` aside);
- exported sources make up the module's ``__all__`` (what ``from mmengine.x import *`` gives);
  lookup-only sources are searched too, after them, for the names MMEngine's module re-imports
  (``mmengine.config.config.load`` is ``mmengine.fileio.load``);
- the first source that has a name wins; an mme module that does not exist (yet) is skipped, so a
  new mme package named like MMEngine's (``mme.analysis``) is picked up without touching the tree.

``NAMES`` lists what a module takes from somewhere else or under another name, as
``"module:attribute"``; it is consulted before the sources, and an entry whose target is missing
falls through to them. An entry also wins over a child module of the same name, as in MMEngine
(``mmengine.utils.dl_utils.collect_env`` is the function, even once the module is imported).

A module in ``TREE`` is a package (it has ``__path__``) when the tree holds modules below it.
"""

from __future__ import annotations

TREE: dict[str, str] = {
    # MMEngine's top-level re-exports; mme.logging (which needs torch) last, so that looking up
    # the config, fileio, registry and utils names imports no torch
    "mmengine": "mmengine.config mmengine.fileio mmengine.registry mmengine.utils mmengine.version mmengine.logging",
    "mmengine.version": "_mme_compat._mmengine_version",
    # analysis: model complexity (FLOPs, activations, parameters)
    "mmengine.analysis": "mme.analysis",
    "mmengine.analysis.complexity_analysis": "mmengine.analysis",
    "mmengine.analysis.jit_analysis": "mmengine.analysis | mmengine.logging",
    "mmengine.analysis.jit_handles": "mmengine.analysis",
    "mmengine.analysis.print_helper": "mmengine.analysis | mmengine.utils",
    # config
    "mmengine.config": "mme.config",
    "mmengine.config.config": "mmengine.config | mmengine.fileio mmengine.logging mmengine.utils _mme_compat._config_extras",
    "mmengine.config.lazy": "mmengine.config | mmengine.utils",
    "mmengine.config.utils": "mmengine.config | mmengine.fileio mmengine.utils _mme_compat._config_extras",
    # dataset
    "mmengine.dataset": "mme.dataset",
    "mmengine.dataset.base_dataset": (
        "mmengine.dataset | mmengine.config mmengine.fileio mmengine.logging mmengine.registry mmengine.utils"
    ),
    "mmengine.dataset.dataset_wrapper": "mmengine.dataset | mmengine.logging mmengine.registry",
    "mmengine.dataset.sampler": "mmengine.dataset | mmengine.dist mmengine.registry",
    "mmengine.dataset.utils": "mmengine.dataset | mmengine.registry mmengine.structures",
    # device
    "mmengine.device": "mme.device",
    "mmengine.device.utils": "mmengine.device",
    # dist
    "mmengine.dist": "mme.dist",
    "mmengine.dist.dist": "mmengine.dist | mmengine.device mmengine.utils",
    "mmengine.dist.utils": "mmengine.dist | mmengine.device",
    # evaluator
    "mmengine.evaluator": "mme.evaluator",
    "mmengine.evaluator.evaluator": "mmengine.evaluator | mmengine.dataset mmengine.registry mmengine.structures",
    "mmengine.evaluator.metric": (
        "mmengine.evaluator | mmengine.dist mmengine.fileio mmengine.logging mmengine.registry mmengine.structures"
    ),
    "mmengine.evaluator.utils": "mmengine.evaluator",
    # fileio
    "mmengine.fileio": "mme.fileio",
    "mmengine.fileio.backends": "mmengine.fileio",
    "mmengine.fileio.backends.base": "mmengine.fileio | mmengine.logging",
    "mmengine.fileio.backends.http_backend": "mmengine.fileio",
    "mmengine.fileio.backends.lmdb_backend": "mmengine.fileio",
    "mmengine.fileio.backends.local_backend": "mmengine.fileio",
    "mmengine.fileio.backends.memcached_backend": "mmengine.fileio",
    "mmengine.fileio.backends.petrel_backend": "mmengine.fileio | mmengine.utils",
    "mmengine.fileio.backends.registry_utils": "mmengine.fileio",
    "mmengine.fileio.file_client": "mmengine.fileio | mmengine.logging mmengine.utils",
    "mmengine.fileio.handlers": "mmengine.fileio",
    "mmengine.fileio.handlers.base": "mmengine.fileio",
    "mmengine.fileio.handlers.json_handler": "mmengine.fileio",
    "mmengine.fileio.handlers.pickle_handler": "mmengine.fileio",
    "mmengine.fileio.handlers.registry_utils": "mmengine.fileio | mmengine.utils",
    "mmengine.fileio.handlers.yaml_handler": "mmengine.fileio",
    "mmengine.fileio.io": "mmengine.fileio | mmengine.utils",
    "mmengine.fileio.parse": "mmengine.fileio",
    # hooks
    "mmengine.hooks": "mme.hooks",
    "mmengine.hooks.checkpoint_hook": (
        "mmengine.hooks | mmengine.dist mmengine.fileio mmengine.logging mmengine.registry mmengine.utils"
    ),
    "mmengine.hooks.early_stopping_hook": "mmengine.hooks | mmengine.registry",
    "mmengine.hooks.ema_hook": "mmengine.hooks | mmengine.logging mmengine.model mmengine.registry",
    "mmengine.hooks.empty_cache_hook": "mmengine.hooks | mmengine.device mmengine.registry",
    "mmengine.hooks.hook": "mmengine.hooks | mmengine.utils",
    "mmengine.hooks.iter_timer_hook": "mmengine.hooks | mmengine.registry",
    "mmengine.hooks.logger_hook": "mmengine.hooks | mmengine.fileio mmengine.logging mmengine.registry mmengine.utils",
    "mmengine.hooks.naive_visualization_hook": "mmengine.hooks | mmengine.registry mmengine.utils.dl_utils",
    "mmengine.hooks.param_scheduler_hook": "mmengine.hooks | mmengine.registry mmengine.utils",
    "mmengine.hooks.profiler_hook": "mmengine.hooks | mmengine.dist mmengine.logging mmengine.registry",
    "mmengine.hooks.runtime_info_hook": "mmengine.hooks | mmengine.registry mmengine.utils",
    "mmengine.hooks.sampler_seed_hook": "mmengine.hooks | mmengine.registry",
    "mmengine.hooks.sync_buffer_hook": "mmengine.hooks | mmengine.dist mmengine.registry",
    "mmengine.hooks.test_time_aug_hook": "mmengine.hooks | mmengine.registry",
    # hub: configs and models of OpenMMLab packages by name
    "mmengine.hub": "mme.hub",
    "mmengine.hub.hub": "mmengine.hub | mmengine.config mmengine.registry mmengine.runner mmengine.utils",
    # infer: BaseInferencer
    "mmengine.infer": "mme.infer",
    "mmengine.infer.infer": (
        "mmengine.infer | mmengine.config mmengine.dataset mmengine.device mmengine.fileio mmengine.logging"
        " mmengine.registry mmengine.structures mmengine.visualization _mme_compat._config_extras"
    ),
    # logging
    "mmengine.logging": "mme.logging",
    "mmengine.logging.history_buffer": "mmengine.logging",
    "mmengine.logging.logger": "mmengine.logging | mmengine.utils",
    "mmengine.logging.message_hub": "mmengine.logging | mmengine.utils",
    # model
    "mmengine.model": "mme.model",
    "mmengine.model.averaged_model": "mmengine.model | mmengine.logging mmengine.registry",
    "mmengine.model.base_model": "mmengine.model",
    "mmengine.model.base_model.base_model": "mmengine.model | mmengine.optim mmengine.registry mmengine.utils",
    "mmengine.model.base_model.data_preprocessor": (
        "mmengine.model | mmengine.registry mmengine.structures mmengine.utils"
    ),
    "mmengine.model.base_module": "mmengine.model | mmengine.dist mmengine.logging",
    "mmengine.model.efficient_conv_bn_eval": "mmengine.model | mme.model._efficient_conv_bn_eval",
    "mmengine.model.test_time_aug": "mmengine.model | mmengine.registry mmengine.structures",
    "mmengine.model.utils": "mmengine.model | mmengine.logging mmengine.utils.dl_utils",
    "mmengine.model.weight_init": "mmengine.model | mmengine.logging mmengine.registry",
    "mmengine.model.wrappers": "mmengine.model",
    "mmengine.model.wrappers.distributed": "mmengine.model | mmengine.optim mmengine.registry",
    "mmengine.model.wrappers.fully_sharded_distributed": (
        "mmengine.model | mmengine.optim mmengine.registry mmengine.structures mmengine.utils"
    ),
    "mmengine.model.wrappers.seperate_distributed": "mmengine.model | mmengine.device mmengine.optim mmengine.registry",
    "mmengine.model.wrappers.utils": "mmengine.model | mmengine.registry",
    # optim
    "mmengine.optim": "mme.optim",
    "mmengine.optim.optimizer": "mmengine.optim",
    "mmengine.optim.optimizer.amp_optimizer_wrapper": (
        "mmengine.optim | mmengine.device mmengine.registry mmengine.utils"
    ),
    "mmengine.optim.optimizer.apex_optimizer_wrapper": "mmengine.optim | mme.optim._apex mmengine.registry",
    "mmengine.optim.optimizer.base": "mmengine.optim",
    "mmengine.optim.optimizer.builder": (
        "mmengine.optim | mme.optim._builder mmengine.config mmengine.device mmengine.registry"
    ),
    "mmengine.optim.optimizer.default_constructor": (
        "mmengine.optim | mmengine.logging mmengine.registry mmengine.utils mmengine.utils.dl_utils"
    ),
    "mmengine.optim.optimizer.optimizer_wrapper": (
        "mmengine.optim | mmengine.logging mmengine.registry mmengine.utils.dl_utils"
    ),
    "mmengine.optim.optimizer.optimizer_wrapper_dict": "mmengine.optim",
    "mmengine.optim.optimizer.zero_optimizer": "mmengine.optim | mmengine.dist mmengine.utils",
    "mmengine.optim.scheduler": "mmengine.optim",
    "mmengine.optim.scheduler.lr_scheduler": "mmengine.optim | mmengine.registry",
    "mmengine.optim.scheduler.momentum_scheduler": "mmengine.optim | mmengine.registry",
    "mmengine.optim.scheduler.param_scheduler": "mmengine.optim | mmengine.logging mmengine.registry",
    # registry
    "mmengine.registry": "mme.registry",
    "mmengine.registry.build_functions": "mmengine.registry | mmengine.config mmengine.utils",
    "mmengine.registry.default_scope": "mmengine.registry | mmengine.utils",
    "mmengine.registry.registry": "mmengine.registry | mmengine.utils _mme_compat._config_extras",
    "mmengine.registry.root": "mmengine.registry",
    "mmengine.registry.utils": "mmengine.registry | mmengine.fileio mmengine.logging",
    # runner
    "mmengine.runner": "mme.runner",
    "mmengine.runner.activation_checkpointing": "mmengine.runner",
    "mmengine.runner.amp": "mmengine.runner | mmengine.device mmengine.logging mmengine.utils",
    "mmengine.runner.base_loop": "mmengine.runner",
    "mmengine.runner.checkpoint": (
        "mmengine.runner | mme.runner._checkpoint_loader mmengine.dist mmengine.fileio mmengine.logging"
        " mmengine.model mmengine.utils"
    ),
    "mmengine.runner.log_processor": "mmengine.runner | mmengine.device mmengine.registry",
    "mmengine.runner.loops": (
        "mmengine.runner | mmengine.evaluator mmengine.logging mmengine.registry mmengine.structures mmengine.utils"
    ),
    "mmengine.runner.priority": "mmengine.runner",
    "mmengine.runner.runner": (
        "mmengine.runner | mmengine.config mmengine.dataset mmengine.device mmengine.dist mmengine.evaluator"
        " mmengine.fileio mmengine.hooks mmengine.logging mmengine.model mmengine.optim mmengine.registry"
        " mmengine.utils mmengine.utils.dl_utils mmengine.visualization"
    ),
    "mmengine.runner.utils": "mmengine.runner | mmengine.device mmengine.dist mmengine.logging mmengine.utils",
    # structures
    "mmengine.structures": "mme.structures",
    "mmengine.structures.base_data_element": "mmengine.structures",
    "mmengine.structures.instance_data": "mmengine.structures | mmengine.device",
    "mmengine.structures.label_data": "mmengine.structures",
    "mmengine.structures.pixel_data": "mmengine.structures",
    # testing
    "mmengine.testing": "mme.testing",
    "mmengine.testing.compare": "mmengine.testing | mmengine.utils",
    "mmengine.testing.runner_test_case": (
        "mmengine.testing | mmengine.config mmengine.dist mmengine.evaluator mmengine.logging mmengine.model"
        " mmengine.registry mmengine.runner mmengine.visualization"
    ),
    # utils
    "mmengine.utils": "mme.utils",
    "mmengine.utils.dl_utils": "mme.dl_utils",
    "mmengine.utils.dl_utils.collect_env": "mmengine.utils.dl_utils | mmengine.device mme.dl_utils.parrots_wrapper",
    "mmengine.utils.dl_utils.hub": "mmengine.utils.dl_utils | mmengine.utils",
    "mmengine.utils.dl_utils.misc": "mmengine.utils.dl_utils | mmengine.utils",
    "mmengine.utils.dl_utils.parrots_wrapper": "mme.dl_utils.parrots_wrapper",
    "mmengine.utils.dl_utils.setup_env": "mmengine.utils.dl_utils",
    "mmengine.utils.dl_utils.time_counter": (
        "mmengine.utils.dl_utils | mmengine.device mmengine.dist mmengine.logging"
    ),
    "mmengine.utils.dl_utils.torch_ops": "mmengine.utils.dl_utils | mmengine.utils",
    "mmengine.utils.dl_utils.trace": "mmengine.utils.dl_utils | mmengine.utils",
    "mmengine.utils.dl_utils.visualize": "mmengine.utils.dl_utils | mmengine.model mmengine.registry mmengine.testing",
    "mmengine.utils.manager": "mmengine.utils",
    "mmengine.utils.misc": "mmengine.utils",
    "mmengine.utils.package_utils": "mmengine.utils",
    "mmengine.utils.path": "mmengine.utils",
    "mmengine.utils.progressbar": "mmengine.utils",
    "mmengine.utils.progressbar_rich": "mmengine.utils",
    "mmengine.utils.timer": "mmengine.utils",
    "mmengine.utils.version_utils": "mmengine.utils",
    # visualization
    "mmengine.visualization": "mme.visualization",
    "mmengine.visualization.utils": "mmengine.visualization",
    "mmengine.visualization.vis_backend": (
        "mmengine.visualization | mmengine.config mmengine.fileio mmengine.logging mmengine.registry mmengine.utils"
    ),
    "mmengine.visualization.visualizer": (
        "mmengine.visualization | mmengine.config mmengine.dist mmengine.registry mmengine.structures mmengine.utils"
    ),
}

NAMES: dict[str, dict[str, str]] = {
    "mmengine.fileio": {
        # MMEngine's deprecated alias of LocalBackend
        "HardDiskBackend": "mme.fileio:LocalBackend",
    },
    "mmengine.fileio.backends": {
        "backends": "mme.fileio._registry:backends",
        "prefix_to_backends": "mme.fileio._registry:prefix_to_backends",
    },
    "mmengine.fileio.backends.registry_utils": {
        "backends": "mme.fileio._registry:backends",
        "prefix_to_backends": "mme.fileio._registry:prefix_to_backends",
    },
    "mmengine.fileio.handlers.json_handler": {
        "set_default": "mme.fileio._handlers:set_default",
    },
    "mmengine.fileio.io": {
        "backend_instances": "mme.fileio._registry:backend_instances",
        "backends": "mme.fileio._registry:backends",
        "prefix_to_backends": "mme.fileio._registry:prefix_to_backends",
    },
    "mmengine.optim": {
        # MMEngine re-exports these two root registries from its optim package
        "OPTIMIZERS": "mme.registry:OPTIMIZERS",
        "OPTIM_WRAPPER_CONSTRUCTORS": "mme.registry:OPTIM_WRAPPER_CONSTRUCTORS",
    },
    "mmengine.registry": {
        # mme attaches the build functions that need torch in the layer that owns the torch code
        "build_model_from_cfg": "mme.model:build_model_from_cfg",
        "build_optimizer_from_cfg": "mme.optim:build_optimizer_from_cfg",
        "build_runner_from_cfg": "mme.runner:build_runner_from_cfg",
        "build_scheduler_from_cfg": "mme.optim:build_scheduler_from_cfg",
    },
    "mmengine.utils.dl_utils": {
        "collect_env": "mme.dl_utils:collect_env",  # not the child module of that name
    },
    "mmengine.runner.checkpoint": {
        "load_file": "mmengine.fileio:load",
        # private in MMEngine, imported by mmpretrain (models/selfsup/milan.py)
        "_load_checkpoint": "mme.runner._checkpoint:_load_checkpoint",
    },
    "mmengine.optim.scheduler.param_scheduler": {
        "INF": "mme.optim._scheduler_base:INF",
    },
    "mmengine.runner.runner": {
        "default_worker_init_fn": "mmengine.dataset:worker_init_fn",
    },
}
