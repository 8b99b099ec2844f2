"""The tutorial's pipeline in TensorFlow and Keras: sources -> preprocessing -> augmentation
-> pipeline -> model -> training. Its public names are re-exported by `unetcheck`."""
